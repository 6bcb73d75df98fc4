import type { EntityManager } from 'typeorm';
import type { LinkedDataStore } from '../../shared/linked-data-store';

/**
 * Outgoing webhook deliveries carry their event (its payload is rebuilt from the log, and each
 * attempt keeps the start of the receiver's answer): when an erasure removes events, their
 * deliveries go with them, sent or not, so nothing is sent or kept about them afterwards.
 * (Retention never removes an event a delivery still needs; see PRUNE_EVENTS.)
 * Attempts follow by ON DELETE CASCADE.
 */
export const webhookDeliveryStore: LinkedDataStore = {
  async removeForEvents(manager: EntityManager, eventIds: string[]): Promise<number> {
    const [, removed] = (await manager.query(
      `DELETE FROM webhook_deliveries WHERE event_id = ANY($1::bigint[])`,
      [eventIds],
    )) as [unknown, number];
    return removed;
  },
};
