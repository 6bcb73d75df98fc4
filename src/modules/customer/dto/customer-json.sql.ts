import { isoTimestampSql as iso } from '../../../platform/database/json-sql';

/** mapCustomer() as a SQL expression over a customers row, for events appended in SQL. */
export function customerJsonSql(row: string): string {
  return `jsonb_build_object(
    'id', ${row}.id,
    'name', ${row}.name,
    'phone', ${row}.phone,
    'email', ${row}.email,
    'external_id', ${row}.external_id,
    'metadata', ${row}.metadata,
    'created_at', ${iso(`${row}.created_at`)},
    'updated_at', ${iso(`${row}.updated_at`)})`;
}
