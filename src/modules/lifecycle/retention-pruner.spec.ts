import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { PRUNE_BATCH, RetentionPruner } from './retention-pruner';
import { PRUNE_EVENTS, SELECT_EXPIRED_MESSAGES } from './retention.sql';

const DAY_MS = 86_400_000;

/**
 * A database with `events` and `messages` batches of expired rows, which records the order in
 * which the pruner takes its batches ("events", "messages").
 */
function databaseWithBacklog(backlog: { events: number; messages: number }) {
  const taken: string[] = [];
  const left = { ...backlog };
  const batchOf = (kind: 'events' | 'messages') => {
    if (left[kind] === 0) return 0;
    left[kind]--;
    taken.push(kind);
    return PRUNE_BATCH;
  };
  const dataSource = {
    query: async (sql: string) => [{ pruned: sql === PRUNE_EVENTS ? batchOf('events') : 0 }],
    transaction: async (work: (manager: unknown) => Promise<unknown>) =>
      work({
        query: async (sql: string) =>
          sql === SELECT_EXPIRED_MESSAGES
            ? Array.from({ length: batchOf('messages') }, (_, i) => ({ id: `m${i}` }))
            : [{ messages: 0, receipts: 0, receipt_sources: [] }],
      }),
  } as unknown as DataSource;
  return { dataSource, taken };
}

describe('RetentionPruner', () => {
  it('takes a batch of each kind in turn, so a backlog of events never holds messages back', async () => {
    const { dataSource, taken } = databaseWithBacklog({ events: 4, messages: 2 });
    const config = {
      retention: {
        eventsMs: DAY_MS,
        inboundEventsMs: null,
        webhookDeliveriesMs: null,
        idempotencyMs: null,
        messagesMs: DAY_MS,
        pruneIntervalMs: 60_000,
      },
    } as unknown as AppConfig;
    const pruner = new RetentionPruner(config, dataSource, []);

    const removed = await pruner.pruneAll();

    expect(taken).toEqual(['events', 'messages', 'events', 'messages', 'events', 'events']);
    expect(removed).toEqual({ events: 4 * PRUNE_BATCH, messages: 2 * PRUNE_BATCH });
  });
});
