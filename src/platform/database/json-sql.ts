/**
 * A timestamptz column as the API writes it (Date#toISOString: UTC, milliseconds, `Z`), for JSON
 * built in SQL. to_char's MS truncates microseconds exactly as node-postgres does for a Date.
 */
export function isoTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
