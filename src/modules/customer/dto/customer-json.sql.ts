import { rowJsonSql } from '../../../platform/database/json-sql';

/** mapCustomer() as a SQL expression over a customers row, for events appended in SQL. */
export function customerJsonSql(row: string): string {
  return rowJsonSql(
    row,
    ['id', 'name', 'phone', 'email', 'external_id', 'metadata'],
    ['created_at', 'updated_at'],
  );
}
