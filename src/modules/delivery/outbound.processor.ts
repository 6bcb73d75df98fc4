import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DatabaseOutage } from '../../platform/database/database-outage';
import { DatabaseFault, databaseFault } from '../../platform/database/database-unavailable';
import { OUTBOUND_BACKOFF, OUTBOUND_QUEUE } from '../../platform/queue/queue-names';
import { bullmqConnection } from '../../platform/queue/redis-connection';
import { stallSettings } from '../../platform/queue/stall-settings';
import { CHANNELS, Channel } from '../../shared/channel';
import { DeliveryLedger } from '../messaging/delivery-ledger';
import { DeliveryOutcome, DeliveryService } from './delivery.service';
import type { OutboundJob } from './outbound-job';
import { SendSlots, SendTurn } from './send-slots';
import { MAX_THROTTLED_TRIES } from './retry-policy';
import { retryBackoff } from '../../platform/queue/retry-backoff';

const JOBS_PER_SEND_SLOT = 3;

/**
 * One BullMQ worker per channel queue, whatever the number of senders: rates and provider pauses
 * are per sender (SenderGate, in Redis, across every worker process), and a job whose sender must
 * wait is given back as delayed, so one slow or throttled sender never holds the others' jobs.
 * Built by hand rather than with @Processor because the settings come from the runtime
 * configuration.
 */
@Injectable()
export class OutboundProcessor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboundProcessor.name);
  private readonly workers: Worker<OutboundJob>[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly delivery: DeliveryService,
    private readonly ledger: DeliveryLedger,
    private readonly databaseOutage: DatabaseOutage,
  ) {}

  onModuleInit(): void {
    for (const channel of CHANNELS) this.workers.push(this.startWorker(channel));
    this.logger.log(
      { concurrency: this.config.outbound.concurrency },
      `consuming outbound queues: ${CHANNELS.join(', ')}`,
    );
  }

  /** SIGTERM: stop taking jobs, let in-flight sends finish, then let the process exit. */
  async onApplicationShutdown(): Promise<void> {
    this.logger.log('shutting down: finishing in-flight sends');
    await Promise.all(this.workers.map((worker) => worker.close()));
    this.logger.log('all outbound workers closed');
  }

  private startWorker(channel: Channel): Worker<OutboundJob> {
    const { outbound, queuePrefix } = this.config;
    const sendSlots = new SendSlots(outbound.concurrency);
    const worker: Worker<OutboundJob> = new Worker<OutboundJob>(
      OUTBOUND_QUEUE[channel],
      async (job, token) => {
        const turn = sendSlots.turn();
        try {
          await this.process(job, token, turn);
        } finally {
          turn.leave();
        }
      },
      {
        connection: bullmqConnection(this.config),
        prefix: queuePrefix,
        // More jobs than send slots (SendSlots): while some jobs call the provider, the others
        // have their claims and outcomes written, which held a slot each for ~11 ms around a
        // ~24 ms call (deliver bench, 20 ms provider) and now wait up to 10 ms to fill a batch
        // (DeliveryLedger). Sends start in the order the jobs reached the worker, but BullMQ's
        // parallel fetches do not always hand them over in priority order (a fetch that waited
        // for a new job returns after one that took the next job as another finished). One
        // slot is one send at a time, in strict queue order: then one job at a time too.
        concurrency: outbound.concurrency === 1 ? 1 : outbound.concurrency * JOBS_PER_SEND_SLOT,
        // Delayed jobs (a sender's rate or pause) are promoted while the worker waits in its
        // blocking poll; the default 5 s poll could add up to 5 s to their wait. Idle: 1 call/s.
        drainDelay: 1,
        ...stallSettings(outbound.lockDurationMs),
        settings: {
          backoffStrategy: retryBackoff(OUTBOUND_BACKOFF, outbound.retryDelaysMs),
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
      if (job?.finishedOn && !ownFailure && job.data.accepted) {
        // The provider took it: `failed` would be false, and a retry would send it twice. It
        // stays pending, in view, until someone finds why its outcome cannot be written.
        this.logger.error(
          { messageId: job.data.messageId, reason: error.message },
          'provider accepted the message but its outcome could not be written; job gave up',
        );
      } else if (job?.finishedOn && !ownFailure) {
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

  private async process(
    job: Job<OutboundJob>,
    token: string | undefined,
    turn: SendTurn,
  ): Promise<void> {
    const maxTries = job.opts.attempts ?? 1;
    const { databaseWaits = 0, senderWaits = 0 } = job.data;
    const startedRuns = job.attemptsStarted - databaseWaits - senderWaits;
    let outcome: DeliveryOutcome;
    try {
      const waitMs = await this.delivery.waitBeforeSending(job.data);
      if (waitMs > 0) {
        await job.updateData({ ...job.data, senderWaits: senderWaits + 1 });
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new DelayedError();
      }
      outcome = await this.delivery.deliver(
        job.data,
        {
          tryNumber: job.attemptsMade + 1,
          maxTries,
          mayWaitForThrottle: startedRuns <= maxTries + MAX_THROTTLED_TRIES,
        },
        (accepted) => job.updateData({ ...job.data, accepted }),
        turn,
      );
    } catch (error) {
      const fault = databaseFault(error);
      if (!fault) throw error;
      await this.waitForDatabase(job, token, fault, error as Error);
      throw new DelayedError();
    }
    switch (outcome.kind) {
      case 'throttled':
        // Spends none of the job's retries (MAX_THROTTLED_TRIES bounds these). A throttled sender
        // is paused in Redis too (DeliveryService), so its other jobs wait without a try.
        await job.moveToDelayed(Date.now() + outcome.pauseMs, token);
        throw new DelayedError();
      case 'retry':
        throw outcome.error;
      case 'failed':
        throw new UnrecoverableError(outcome.error);
      default:
        return;
    }
  }

  /**
   * Our database failed, which says nothing about the message: give the job back as delayed,
   * which spends none of its tries. When Postgres is unavailable, also pause this process's
   * workers until it answers; a deadlock, a timeout or a full disk fails statements one by one,
   * so the others go on trying.
   */
  private async waitForDatabase(
    job: Job<OutboundJob>,
    token: string | undefined,
    fault: DatabaseFault,
    error: Error,
  ): Promise<void> {
    if (fault === 'unavailable') this.databaseOutage.report('outbound', this.workers, error);
    else {
      this.logger.warn(
        { messageId: job.data.messageId, fault, reason: error.message },
        'database failed a statement of this send; trying again without spending a try',
      );
    }
    await job.updateData({ ...job.data, databaseWaits: (job.data.databaseWaits ?? 0) + 1 });
    await job.moveToDelayed(Date.now() + this.databaseOutage.retryDelayMs, token);
  }
}
