import type { EntityManager } from 'typeorm';

/**
 * Stores that other modules own and that hold data tied to messages or events: attachments
 * (rows and files) and outgoing webhook deliveries. Each registers one of these under
 * LINKED_DATA_STORES, and retention and erasure call it inside the transaction that removes the
 * messages or events, before they go (so a foreign key to them never blocks the delete).
 */
export interface LinkedDataStore {
  /** Removes what belongs to these messages (attachments); returns how many records went. */
  removeForMessages?(manager: EntityManager, messageIds: string[]): Promise<number>;
  /** Removes what carries these events (webhook deliveries); returns how many records went. */
  removeForEvents?(manager: EntityManager, eventIds: string[]): Promise<number>;
}

export const LINKED_DATA_STORES = Symbol('LINKED_DATA_STORES');

export async function removeLinked(
  stores: LinkedDataStore[],
  manager: EntityManager,
  kind: 'messages' | 'events',
  ids: string[],
): Promise<number> {
  let removed = 0;
  if (ids.length === 0) return removed;
  for (const store of stores) {
    const remove = kind === 'messages' ? store.removeForMessages : store.removeForEvents;
    if (remove) removed += await remove.call(store, manager, ids);
  }
  return removed;
}
