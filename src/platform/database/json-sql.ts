/**
 * A timestamptz column as the API writes it (Date#toISOString: UTC, milliseconds, `Z`), for JSON
 * built in SQL. to_char's MS truncates microseconds exactly as node-postgres does for a Date.
 */
export function isoTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * A resource's public JSON built in SQL from a row whose column names are its keys, for events
 * appended by single-statement changes: `columns` as they are, `timestamps` as isoTimestampSql.
 */
export function rowJsonSql(row: string, columns: string[], timestamps: string[]): string {
  const pairs = [
    ...columns.map((column) => `'${column}', ${row}.${column}`),
    ...timestamps.map((column) => `'${column}', ${isoTimestampSql(`${row}.${column}`)}`),
  ];
  return `jsonb_build_object(${pairs.join(', ')})`;
}
