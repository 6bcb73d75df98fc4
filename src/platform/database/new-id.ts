import { v7 as uuidv7 } from 'uuid';

/** Time-ordered UUIDs: new rows land at the end of the index and ids double as page cursors. */
export function newId(): string {
  return uuidv7();
}

/** The smallest id newId() could have made at `time`: ids below it are older (UUIDv7 order). */
export function idFloorAt(time: Date): string {
  const hex = Math.max(0, time.getTime()).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
