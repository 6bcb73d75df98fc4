/**
 * An INSERT into the event log fed by a query, for single-statement changes (the worker's
 * DeliveryLedger) that append their event in a data-modifying CTE instead of a second round
 * trip. `source` must yield the columns type, conversation_id, previous_status and data.
 */
export function appendEventsSql(source: string): string {
  return `INSERT INTO events (type, conversation_id, previous_status, data)
          SELECT type, conversation_id, previous_status, data FROM (${source}) AS appended`;
}
