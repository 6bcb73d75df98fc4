import type { EntityManager } from 'typeorm';

/** What a store removed, and the work that must wait until the removal has committed. */
export interface Removal {
  removed: number;
  /** Deleting files: a removal rolled back after it would leave records without their bytes. */
  afterCommit?: () => Promise<void>;
}

/**
 * Stores that other modules own and that hold data tied to messages or events: attachments
 * (rows and files) and outgoing webhook deliveries. Each registers one of these under
 * LINKED_DATA_STORES, and retention and erasure call it inside the transaction that removes the
 * messages or events, before they go (so a foreign key to them never blocks the delete), then
 * run what it left for after the commit.
 */
export interface LinkedDataStore {
  /** Removes what belongs to these messages (attachments). */
  removeForMessages?(manager: EntityManager, messageIds: string[]): Promise<Removal>;
  /** Removes what carries these events (webhook deliveries); returns how many records went. */
  removeForEvents?(manager: EntityManager, eventIds: string[]): Promise<number>;
  /**
   * The retention pass: one batch (up to `limit`) of what was left unnamed for longer than the
   * store's grace period (attachment bytes no record names); returns how many were dealt with.
   */
  collectUnnamed?(limit: number): Promise<number>;
}

export const LINKED_DATA_STORES = Symbol('LINKED_DATA_STORES');

export async function removeLinked(
  stores: LinkedDataStore[],
  manager: EntityManager,
  kind: 'messages' | 'events',
  ids: string[],
): Promise<Required<Removal>> {
  let removed = 0;
  const afterCommit: (() => Promise<void>)[] = [];
  if (ids.length > 0) {
    for (const store of stores) {
      if (kind === 'messages' && store.removeForMessages) {
        const removal = await store.removeForMessages(manager, ids);
        removed += removal.removed;
        if (removal.afterCommit) afterCommit.push(removal.afterCommit);
      }
      if (kind === 'events' && store.removeForEvents) {
        removed += await store.removeForEvents(manager, ids);
      }
    }
  }
  return {
    removed,
    afterCommit: async () => {
      for (const work of afterCommit) await work();
    },
  };
}
