import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { RedisClient, redisClient } from '../../platform/queue/redis-connection';
import type { Channel } from '../../shared/channel';
import { DeliveryLedger, PendingCursor, PendingMessage } from '../messaging/delivery-ledger';
import type { Priority } from '../messaging/message-status';
import { OutboundQueue } from '../messaging/outbound.queue';
import type { OutboundJob } from './outbound-job';

/** Messages read, checked against Redis and enqueued per round trip. */
const PAGE_SIZE = 1_000;

/** High first: a refilled queue starts with the messages that jump a backlog anyway. */
const PRIORITIES: Priority[] = ['high', 'normal', 'low'];

/** After a failed pass (Redis or Postgres away) the next one comes this soon, not an interval later. */
const RETRY_AFTER_FAILURE_MS = 2_000;

/**
 * What Redis holds of a message's job: its hash fields, whether it sits in the failed set, and
 * whether it carries a send the provider accepted (see OutboundJob).
 */
type JobTrace = {
  exists: boolean;
  finishedOn: number | null;
  failedReason: string | null;
  accepted: boolean;
};

/**
 * The outbox half of "the row is written before the job": it walks every outbound message still
 * owed a send and enqueues again those whose job is gone (Redis was down when the API enqueued,
 * Redis restarted empty or failed over, a job was removed by hand). Job ids are message ids, so
 * several workers sweeping at once still produce one job per message.
 *
 * A pass runs every OUTBOX_SWEEP_INTERVAL_MS over messages unchanged for OUTBOX_SWEEP_GRACE_MS,
 * and at once, without grace, whenever its Redis connection becomes ready (start, and Redis back
 * after an outage) or finds its marker key gone (Redis lost its data under a live connection).
 * Each page of 1 000 messages costs one read, one pipelined look at their jobs and one addBulk
 * per channel.
 */
@Injectable()
export class OutboxSweeper implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxSweeper.name);
  /** Its own connection: its `ready` event is the signal that Redis is back. */
  private readonly redis: RedisClient;
  private readonly markerKey: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** The grace of the pass to run as soon as the current one ends, if one was asked for. */
  private rerunGraceMs?: number;
  private failing = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: DeliveryLedger,
    private readonly outboundQueue: OutboundQueue,
  ) {
    this.markerKey = `${config.queuePrefix}:outbox-sweeper:marker`;
    this.redis = redisClient(config, {
      connectionName: 'outbox-sweeper',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    // A pass that needs Redis reports the outage; reconnection errors are not news.
    this.redis.on('error', () => undefined);
    this.redis.on('ready', () => this.trigger(0));
  }

  onModuleInit(): void {
    this.schedule(this.config.outbound.sweepIntervalMs);
    this.redis.connect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.redis.disconnect();
  }

  /**
   * One pass over every pending message of at least `graceMs`; returns how many it enqueued.
   * Without its marker in Redis it takes every pending message, however recent.
   */
  async sweep(graceMs = this.config.outbound.sweepGraceMs): Promise<number> {
    const started = Date.now();
    if ((await this.redis.set(this.markerKey, new Date().toISOString(), 'NX')) === 'OK') {
      this.logger.warn(
        'no outbox sweeper marker in Redis (first start, or Redis lost its data): checking every pending message',
      );
      graceMs = 0;
    }
    // A message in `sending` may be in the hands of a live worker whose job Redis lost: that
    // worker still records the outcome. Only once it has had a send's time and a lock's does
    // its silence mean it died.
    const ages = {
      olderThanMs: graceMs,
      sendingOlderThanMs: Math.max(
        graceMs,
        this.config.outbound.httpTimeoutMs + this.config.outbound.lockDurationMs,
      ),
    };
    let checked = 0;
    let requeued = 0;
    for (const priority of PRIORITIES) {
      let after: PendingCursor | null = null;
      do {
        const page = await this.ledger.pendingPage(ages, priority, after, PAGE_SIZE);
        checked += page.messages.length;
        requeued += await this.recover(page.messages);
        after = page.next;
      } while (after);
    }
    if (requeued > 0) {
      this.logger.log(
        { checked, requeued, durationMs: Date.now() - started },
        'outbox sweeper enqueued messages whose job was missing',
      );
    }
    return requeued;
  }

  /** Runs a pass now, or right after the one running. */
  private trigger(graceMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerunGraceMs = Math.min(this.rerunGraceMs ?? graceMs, graceMs);
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass(graceMs).finally(() => {
      this.running = undefined;
      const rerun = this.rerunGraceMs;
      this.rerunGraceMs = undefined;
      if (rerun !== undefined) this.trigger(rerun);
    });
  }

  private schedule(delayMs: number, graceMs = this.config.outbound.sweepGraceMs): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(graceMs), delayMs);
  }

  private async pass(graceMs: number): Promise<void> {
    try {
      await this.sweep(graceMs);
      if (this.failing) this.logger.log('outbox sweep succeeded again');
      this.failing = false;
      this.schedule(this.config.outbound.sweepIntervalMs);
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(
          { reason: (error as Error).message },
          'outbox sweep failed; trying again every few seconds',
        );
      }
      this.failing = true;
      // The next try keeps this pass's grace: a pass owed to Redis coming back stays whole.
      this.schedule(
        Math.min(RETRY_AFTER_FAILURE_MS, this.config.outbound.sweepIntervalMs),
        graceMs,
      );
    }
  }

  /** Enqueues the messages of one page whose job is gone; returns how many. */
  private async recover(messages: PendingMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const traces = await this.jobTraces(messages);
    const orphans: PendingMessage[] = [];
    for (const [index, message] of messages.entries()) {
      const job = traces[index];
      // A job that is waiting, delayed or active will do the work.
      if (job.exists && job.finishedOn === null) continue;
      if (job.failedReason !== null && job.finishedOn! >= message.updatedAt.getTime()) {
        // BullMQ gave up on this round (stalled too often) but the message row never heard of
        // it. Never `failed` when the provider accepted it (the processor logged why).
        if (!job.accepted) {
          await this.ledger.failIfPending(message.id, `delivery job failed: ${job.failedReason}`);
        }
        continue;
      }
      // Finished before the message's latest change (a /retry that could not replace it), or
      // completed while the row still waits: its id would swallow the new job.
      if (job.exists) await this.outboundQueue.queueFor(message.channel).remove(message.id);
      orphans.push(message);
    }
    if (orphans.length === 0) return 0;
    await this.outboundQueue.enqueueMany(orphans);
    for (const message of orphans) {
      this.logger.debug(
        { messageId: message.id, channel: message.channel, priority: message.priority },
        'message re-enqueued',
      );
    }
    return orphans.length;
  }

  /** One pipelined round trip for a page: each job's hash fields and failed-set membership. */
  private async jobTraces(messages: PendingMessage[]): Promise<JobTrace[]> {
    const key = (channel: Channel, suffix: string) =>
      this.outboundQueue.queueFor(channel).toKey(suffix);
    const pipeline = this.redis.pipeline();
    for (const message of messages) {
      pipeline.hmget(
        key(message.channel, message.id),
        'timestamp',
        'finishedOn',
        'failedReason',
        'data',
      );
      pipeline.zscore(key(message.channel, 'failed'), message.id);
    }
    const replies = (await pipeline.exec()) ?? [];
    const failure = replies.find(([error]) => error);
    if (failure) throw failure[0]!;
    return messages.map((_, index) => {
      const [timestamp, finishedOn, failedReason, data] = replies[2 * index][1] as (
        string | null
      )[];
      const failed = replies[2 * index + 1][1] !== null;
      return {
        exists: timestamp !== null,
        finishedOn: finishedOn === null ? null : Number(finishedOn),
        failedReason: failed ? (failedReason ?? 'failed') : null,
        accepted:
          failed && data !== null && (JSON.parse(data) as OutboundJob).accepted !== undefined,
      };
    });
  }
}
