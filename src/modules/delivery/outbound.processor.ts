import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Job, RateLimitError, UnrecoverableError, Worker } from 'bullmq';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { OUTBOUND_BACKOFF, OUTBOUND_QUEUE, SendMessageJob } from '../../platform/queue/queue-names';
import { redisConnection } from '../../platform/queue/redis-connection';
import { stallSettings } from '../../platform/queue/stall-settings';
import { CHANNELS, Channel } from '../conversation/channel';
import { DeliveryLedger } from '../messaging/delivery-ledger';
import { DeliveryService } from './delivery.service';
import { MAX_THROTTLED_TRIES, retryDelayMs } from './retry-policy';
import { SendError } from './senders/send-error';

/**
 * One BullMQ worker per channel queue, so that each channel has its own rate limit (BullMQ's
 * limiter is per queue and holds across every worker process) and a throttled provider pauses
 * only its own channel. Built by hand rather than with @Processor because the limits come from
 * the runtime configuration.
 */
@Injectable()
export class OutboundProcessor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboundProcessor.name);
  private readonly workers: Worker<SendMessageJob>[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly delivery: DeliveryService,
    private readonly ledger: DeliveryLedger,
  ) {}

  onModuleInit(): void {
    for (const channel of CHANNELS) this.workers.push(this.startWorker(channel));
    const configured = CHANNELS.filter((channel) => this.delivery.isConfigured(channel));
    this.logger.log(
      { configured, concurrency: this.config.outbound.concurrency },
      `consuming outbound queues; configured channels: ${configured.join(', ') || 'none'}`,
    );
  }

  /** SIGTERM: stop taking jobs, let in-flight sends finish, then let the process exit. */
  async onApplicationShutdown(): Promise<void> {
    this.logger.log('shutting down: finishing in-flight sends');
    await Promise.all(this.workers.map((worker) => worker.close()));
    this.logger.log('all outbound workers closed');
  }

  private startWorker(channel: Channel): Worker<SendMessageJob> {
    const { outbound, queuePrefix, redisUrl } = this.config;
    const worker: Worker<SendMessageJob> = new Worker<SendMessageJob>(
      OUTBOUND_QUEUE[channel],
      (job) => this.process(worker, job),
      {
        connection: redisConnection(redisUrl),
        prefix: queuePrefix,
        concurrency: outbound.concurrency,
        // After a throttle pause BullMQ waits out one blocking poll before fetching again; the
        // default 5 s poll would add up to 5 s to every provider pause. Idle cost: 1 call/s.
        drainDelay: 1,
        limiter: { max: outbound.rateLimitPerSecond[channel], duration: 1000 },
        ...stallSettings(outbound.lockDurationMs),
        settings: {
          backoffStrategy: (attemptsMade: number, type?: string, error?: Error) =>
            type === OUTBOUND_BACKOFF
              ? retryDelayMs(
                  outbound.retryDelaysMs,
                  attemptsMade,
                  error instanceof SendError ? error.retryAfterMs : undefined,
                )
              : 0,
        },
      },
    );
    worker.on('failed', (job, error) => {
      // Our own failures are already recorded (an UnrecoverableError from process()); this
      // catches jobs BullMQ failed by itself, so no message stays `sending` forever. A job that
      // stalled too often is failed by BullMQ with an UnrecoverableError too, but carries its
      // deferred failure. BullMQ emits 'failed' for every failed try; only a finished job has
      // given up.
      const ownFailure = error instanceof UnrecoverableError && !job?.deferredFailure;
      if (job?.finishedOn && !ownFailure) {
        void this.ledger
          .failIfPending(job.data.messageId, `delivery job failed: ${error.message}`)
          .catch((dbError: Error) =>
            this.logger.error(
              { messageId: job.data.messageId, reason: dbError.message },
              'could not record job failure',
            ),
          );
      }
    });
    worker.on('error', (error) =>
      this.logger.error({ channel, reason: error.message }, 'outbound worker error'),
    );
    return worker;
  }

  private async process(worker: Worker<SendMessageJob>, job: Job<SendMessageJob>): Promise<void> {
    const maxTries = job.opts.attempts ?? 1;
    const outcome = await this.delivery.deliver(job.data.messageId, {
      tryNumber: job.attemptsMade + 1,
      maxTries,
      mayWaitForThrottle: job.attemptsStarted <= maxTries + MAX_THROTTLED_TRIES,
    });
    switch (outcome.kind) {
      case 'throttled':
        // Pauses the whole queue (every worker process) and puts the job back without
        // spending one of its retries.
        await worker.rateLimit(outcome.pauseMs);
        throw new RateLimitError();
      case 'retry':
        throw outcome.error;
      case 'failed':
        throw new UnrecoverableError(outcome.error);
      default:
        return;
    }
  }
}
