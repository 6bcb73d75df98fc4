import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { idFloorAt } from '../../platform/database/new-id';
import { LINKED_DATA_STORES, LinkedDataStore, removeLinked } from '../../shared/linked-data-store';
import { DEDUP_KEY_DAYS, REMOVE_MESSAGES } from './remove-messages.sql';
import {
  PRUNE_EVENTS,
  PRUNE_IDEMPOTENCY_KEYS,
  PRUNE_INBOUND_EVENTS,
  PRUNE_INBOUND_MESSAGE_KEYS,
  PRUNE_ORPHAN_RECEIPTS,
  PRUNE_WEBHOOK_DELIVERIES,
  SELECT_EXPIRED_MESSAGES,
} from './retention.sql';

/** Rows per statement: each batch holds its row locks for a few milliseconds only. */
export const PRUNE_BATCH = 500;

interface PruneTarget {
  name: string;
  retentionMs: number | null;
  /** Removes one batch older than `cutoff`; returns how many rows went. */
  pruneBatch(cutoff: Date, limit: number): Promise<number>;
}

/**
 * Keeps the database bounded: every RETENTION_PRUNE_INTERVAL_MS it removes what is older than its
 * retention, in small batches, one of each kind in turn. After each batch it rests as long as the batch took,
 * so pruning never holds more than half of what one connection can do and requests keep their
 * latency while a large backlog (a first run, a lowered retention) is worked off.
 */
@Injectable()
export class RetentionPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionPruner.name);
  private readonly targets: PruneTarget[];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LINKED_DATA_STORES) private readonly linkedStores: LinkedDataStore[],
  ) {
    const retention = config.retention;
    const byTime = (sql: string) => (cutoff: Date, limit: number) =>
      this.pruned(sql, [cutoff, limit]);
    const byId = (sql: string) => (cutoff: Date, limit: number) =>
      this.pruned(sql, [idFloorAt(cutoff), limit]);
    this.targets = [
      { name: 'events', retentionMs: retention.eventsMs, pruneBatch: byTime(PRUNE_EVENTS) },
      {
        name: 'inbound_events',
        retentionMs: retention.inboundEventsMs,
        pruneBatch: byId(PRUNE_INBOUND_EVENTS),
      },
      {
        name: 'orphan_receipts',
        retentionMs: retention.inboundEventsMs,
        pruneBatch: byTime(PRUNE_ORPHAN_RECEIPTS),
      },
      {
        name: 'idempotency_keys',
        retentionMs: retention.idempotencyMs,
        pruneBatch: byTime(PRUNE_IDEMPOTENCY_KEYS),
      },
      {
        name: 'messages',
        retentionMs: retention.messagesMs,
        pruneBatch: (cutoff, limit) => this.pruneMessages(cutoff, limit),
      },
      {
        name: 'inbound_message_keys',
        retentionMs: DEDUP_KEY_DAYS * 24 * 3_600_000,
        pruneBatch: byTime(PRUNE_INBOUND_MESSAGE_KEYS),
      },
      {
        name: 'unnamed_attachment_bytes',
        // Always on; each store keeps what it left unnamed for its own grace period.
        retentionMs: 0,
        pruneBatch: (_cutoff, limit) => this.collectUnnamed(limit),
      },
      {
        name: 'webhook_deliveries',
        retentionMs: retention.webhookDeliveriesMs,
        pruneBatch: byId(PRUNE_WEBHOOK_DELIVERIES),
      },
    ];
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One pass over every kind, a batch of each in turn until each is done, so that a large
   * backlog of one kind (the events of a year when retention is first turned on) never holds
   * back the others; returns the rows removed per kind. One cutoff per kind and pass: rows that
   * expire meanwhile wait for the next pass.
   */
  async pruneAll(): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    let due = this.targets.flatMap((target) =>
      target.retentionMs === null
        ? []
        : [{ target, cutoff: new Date(Date.now() - target.retentionMs) }],
    );
    while (due.length > 0 && !this.stopped) {
      const unfinished: typeof due = [];
      for (const { target, cutoff } of due) {
        if (this.stopped) break;
        const started = Date.now();
        try {
          const count = await target.pruneBatch(cutoff, PRUNE_BATCH);
          if (count > 0) removed[target.name] = (removed[target.name] ?? 0) + count;
          if (count >= PRUNE_BATCH) unfinished.push({ target, cutoff });
        } catch (error) {
          this.logger.warn(
            { kind: target.name, reason: (error as Error).message },
            'retention pruning failed; will try again next round',
          );
        }
        await sleep(Date.now() - started);
      }
      due = unfinished;
    }
    if (Object.keys(removed).length > 0) this.logger.log({ removed }, 'retention pruned');
    return removed;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pruneAll()
        .then(() => undefined)
        .finally(() => this.schedule());
    }, this.config.retention.pruneIntervalMs);
  }

  private async pruned(sql: string, values: unknown[]): Promise<number> {
    const [row] = await this.dataSource.query(sql, values);
    return row.pruned as number;
  }

  private async pruneMessages(cutoff: Date, limit: number): Promise<number> {
    const { pruned, afterCommit } = await this.dataSource.transaction(async (manager) => {
      const rows: { id: string }[] = await manager.query(SELECT_EXPIRED_MESSAGES, [
        idFloorAt(cutoff),
        limit,
      ]);
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return { pruned: 0, afterCommit: async () => undefined };
      const linked = await removeLinked(this.linkedStores, manager, 'messages', ids);
      await manager.query(REMOVE_MESSAGES, [ids]);
      return { pruned: ids.length, afterCommit: linked.afterCommit };
    });
    await afterCommit();
    return pruned;
  }

  /** One batch of each store's data left unnamed (attachment bytes no record names). */
  private async collectUnnamed(limit: number): Promise<number> {
    let dealt = 0;
    for (const store of this.linkedStores) {
      if (store.collectUnnamed) dealt = Math.max(dealt, await store.collectUnnamed(limit));
    }
    return dealt;
  }
}
