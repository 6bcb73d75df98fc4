import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DeliveryLedger, PendingMessage } from '../messaging/delivery-ledger';
import { OutboundQueue } from '../messaging/outbound.queue';

const BATCH_SIZE = 500;

/**
 * The outbox half of "the row is written before the job": every OUTBOX_SWEEP_INTERVAL_MS it
 * looks for outbound messages still owed a send whose job is gone (Redis was down when the API
 * enqueued, a job was removed by hand, Redis lost data) and enqueues them again. Job ids are
 * message ids, so several workers sweeping at once still produce one job per message.
 */
@Injectable()
export class OutboxSweeper implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: DeliveryLedger,
    private readonly outboundQueue: OutboundQueue,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error: Error) =>
          this.logger.warn({ reason: error.message }, 'outbox sweep failed; will try again'),
        )
        .then(() => void 0)
        .finally(() => (this.running = undefined));
    }, this.config.outbound.sweepIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many messages it enqueued again. */
  async sweep(): Promise<number> {
    const stale = await this.ledger.findStalePending(this.config.outbound.sweepGraceMs, BATCH_SIZE);
    let requeued = 0;
    for (const message of stale) {
      if (await this.recover(message)) requeued++;
    }
    if (requeued > 0) this.logger.log({ requeued }, 'outbox sweeper enqueued orphaned messages');
    return requeued;
  }

  private async recover(message: PendingMessage): Promise<boolean> {
    const queue = this.outboundQueue.queueFor(message.channel);
    const job = await queue.getJob(message.id);
    const state = job ? await job.getState() : 'missing';
    // A job that is waiting, delayed or active will do the work; anything else is an orphan.
    if (job && !job.finishedOn && state !== 'unknown') return false;
    if (state === 'failed' && job!.finishedOn! >= message.updatedAt.getTime()) {
      // BullMQ gave up on this round (stalled too often) but the message row never heard of it.
      await this.ledger.failIfPending(message.id, `delivery job failed: ${job!.failedReason}`);
      return false;
    }
    await job?.remove();
    await this.outboundQueue.enqueue(message);
    this.logger.log(
      { messageId: message.id, channel: message.channel, state },
      'message re-enqueued',
    );
    return true;
  }
}
