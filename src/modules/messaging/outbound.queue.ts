import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import {
  OUTBOUND_BACKOFF,
  OUTBOUND_QUEUE,
  SEND_MESSAGE_JOB,
  SendMessageJob,
} from '../../platform/queue/queue-names';
import type { Channel } from '../../shared/channel';
import type { Priority } from './message-status';

// BullMQ: lower is sooner, and a job without priority would jump all prioritized ones.
const BULL_PRIORITY: Record<Priority, number> = { high: 1, normal: 2, low: 3 };

/** How long POST /api/messages waits on Redis before leaving the message to the sweeper. */
const ENQUEUE_TIMEOUT_MS = 1_000;

/** One line per minute about an unreachable Redis is news; one per reconnection attempt is noise. */
const REDIS_ERROR_LOG_INTERVAL_MS = 60_000;

export interface Enqueueable {
  id: string;
  channel: Channel;
  priority: Priority;
}

/**
 * Puts a message on its channel's queue under one job id per message, so repeated enqueues (the
 * API, the sweeper, a second worker) collapse into one job.
 */
@Injectable()
export class OutboundQueue {
  private readonly logger = new Logger(OutboundQueue.name);
  private readonly queues: Record<Channel, Queue>;
  /** What every job's options share, built once (BullMQ copies options, never changes them). */
  private readonly everyJob: JobsOptions;
  private redisErrorLoggedAt = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectQueue(OUTBOUND_QUEUE.whatsapp) whatsapp: Queue,
    @InjectQueue(OUTBOUND_QUEUE.sms) sms: Queue,
    @InjectQueue(OUTBOUND_QUEUE.email) email: Queue,
    @InjectQueue(OUTBOUND_QUEUE.web) web: Queue,
  ) {
    this.queues = { whatsapp, sms, email, web };
    this.everyJob = {
      attempts: config.outbound.retryDelaysMs.length + 1,
      backoff: { type: OUTBOUND_BACKOFF },
      removeOnComplete: { age: 24 * 3600, count: 50_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    };
    // Without a listener BullMQ prints every reconnection failure to stderr, one every 2 s.
    for (const queue of Object.values(this.queues)) {
      queue.on('error', (error) => this.reportRedisError(error));
    }
  }

  private reportRedisError(error: Error): void {
    if (Date.now() - this.redisErrorLoggedAt < REDIS_ERROR_LOG_INTERVAL_MS) return;
    this.redisErrorLoggedAt = Date.now();
    this.logger.warn(
      { reason: error.message },
      'Redis unreachable: accepted messages are kept and enqueued by the outbox sweeper later',
    );
  }

  queueFor(channel: Channel): Queue {
    return this.queues[channel];
  }

  jobOptions(message: Enqueueable): JobsOptions {
    return { ...this.everyJob, jobId: message.id, priority: BULL_PRIORITY[message.priority] };
  }

  /**
   * `replaceFinished`: a new round for a message whose previous job already failed or completed
   * (that job would otherwise swallow the new one under the same id).
   */
  async enqueue(message: Enqueueable, replaceFinished = false): Promise<void> {
    const queue = this.queueFor(message.channel);
    if (replaceFinished) {
      const previous = await queue.getJob(message.id);
      if (previous?.finishedOn) await previous.remove();
    }
    const data: SendMessageJob = { messageId: message.id };
    await queue.add(SEND_MESSAGE_JOB, data, this.jobOptions(message));
  }

  /**
   * Many messages in one round trip per channel (BullMQ's addBulk is one MULTI): how the outbox
   * sweeper refills queues that Redis lost. A message whose job exists is left as it is.
   */
  async enqueueMany(messages: Enqueueable[]): Promise<void> {
    const byChannel = new Map<Channel, Enqueueable[]>();
    for (const message of messages) {
      const list = byChannel.get(message.channel) ?? [];
      list.push(message);
      byChannel.set(message.channel, list);
    }
    await Promise.all(
      [...byChannel].map(([channel, list]) =>
        this.queueFor(channel).addBulk(
          list.map((message) => ({
            name: SEND_MESSAGE_JOB,
            data: { messageId: message.id } satisfies SendMessageJob,
            opts: this.jobOptions(message),
          })),
        ),
      ),
    );
  }

  /**
   * Enqueue without letting a Redis outage reach the caller: the row is already committed, and
   * the worker's outbox sweeper enqueues whatever did not make it here. While Redis is away the
   * producer connection refuses commands at once (no offline queue), so this returns at once too.
   */
  async enqueueOrDefer(message: Enqueueable, replaceFinished = false): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('Redis did not answer in time')),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.enqueue(message, replaceFinished), timeout]);
      return true;
    } catch (error) {
      this.logger.warn(
        { messageId: message.id, reason: (error as Error).message },
        'enqueue failed; the outbox sweeper will send this message once Redis is back',
      );
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
