import { v7 as uuidv7 } from 'uuid';

/** Time-ordered UUIDs: new rows land at the end of the index and ids double as page cursors. */
export function newId(): string {
  return uuidv7();
}
