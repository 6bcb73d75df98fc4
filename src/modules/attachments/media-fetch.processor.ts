import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DelayedError, Job, Queue, Worker } from 'bullmq';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DatabaseOutage } from '../../platform/database/database-outage';
import { databaseFault } from '../../platform/database/database-unavailable';
import { FetchMediaJob, MEDIA_FETCH_QUEUE } from '../../platform/queue/queue-names';
import { bullmqConnection } from '../../platform/queue/redis-connection';
import { SendError } from '../../shared/send-error';
import { AttachmentService, fetchJob, MEDIA_FETCH_BACKOFF } from './attachment.service';
import { MediaDownloader } from './media-downloader';
import { SenderDirectory } from '../senders/sender-directory';
import { retryBackoff } from '../../platform/queue/retry-backoff';

const SWEEP_BATCH = 500;
const FETCH_CONCURRENCY = 5;

/**
 * Worker only: fetches inbound media from their providers into storage, retrying transient
 * failures after OUTBOUND_RETRY_DELAYS_MS, and sweeps pending files whose job never made it to
 * Redis (the API could not enqueue it) or gave up without recording it, every
 * OUTBOX_SWEEP_INTERVAL_MS. A failure of our database spends no try: the job waits for it, and
 * while Postgres is unavailable the worker pauses, as delivery does.
 */
@Injectable()
export class MediaFetchProcessor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MediaFetchProcessor.name);
  private readonly downloader: MediaDownloader;
  private worker?: Worker<FetchMediaJob>;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly attachments: AttachmentService,
    private readonly databaseOutage: DatabaseOutage,
    @InjectQueue(MEDIA_FETCH_QUEUE) private readonly queue: Queue<FetchMediaJob>,
    private readonly senders: SenderDirectory,
  ) {
    this.downloader = new MediaDownloader(config);
  }

  onModuleInit(): void {
    const { outbound, queuePrefix } = this.config;
    this.worker = new Worker<FetchMediaJob>(
      MEDIA_FETCH_QUEUE,
      (job, token) => this.process(job, token),
      {
        connection: bullmqConnection(this.config),
        prefix: queuePrefix,
        concurrency: FETCH_CONCURRENCY,
        lockDuration: outbound.lockDurationMs,
        stalledInterval: outbound.lockDurationMs,
        settings: {
          backoffStrategy: retryBackoff(MEDIA_FETCH_BACKOFF, outbound.retryDelaysMs),
        },
      },
    );
    this.worker.on('error', (error) =>
      this.logger.warn({ error: error.message }, 'media worker error'),
    );
    this.sweepTimer = setInterval(() => void this.sweep(), outbound.sweepIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.worker?.close();
  }

  /**
   * Our database failing says nothing about the file: the job is given back as delayed, which
   * spends none of its tries, and an outage pauses the worker until Postgres answers.
   */
  private async process(job: Job<FetchMediaJob>, token?: string): Promise<void> {
    try {
      await this.fetch(job);
    } catch (error) {
      const fault = databaseFault(error);
      if (!fault) throw error;
      if (fault === 'unavailable') {
        this.databaseOutage.report('media fetch', [this.worker!], error as Error);
      } else {
        this.logger.warn(
          { attachmentId: job.data.attachmentId, fault, reason: (error as Error).message },
          'database failed a statement of this fetch; trying again without spending a try',
        );
      }
      await job.moveToDelayed(Date.now() + this.databaseOutage.retryDelayMs, token);
      throw new DelayedError();
    }
  }

  private async fetch(job: Job<FetchMediaJob>): Promise<void> {
    const attachment = await this.attachments.getAttachment(job.data.attachmentId);
    if (attachment.status !== 'pending' || !attachment.source) return;
    try {
      const media = await this.downloader.download(
        attachment.source,
        await this.settingsOfSender(attachment.id),
      );
      await this.attachments.recordFetched(attachment, media.content, media.contentType);
      this.logger.log(
        { attachmentId: attachment.id, attempt: job.attemptsMade + 1 },
        'media stored',
      );
    } catch (thrown) {
      if (databaseFault(thrown)) throw thrown;
      const error =
        thrown instanceof SendError ? thrown : SendError.transient((thrown as Error).message);
      const final = error.kind === 'permanent' || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason =
        final && error.kind !== 'permanent'
          ? `gave up after ${job.attemptsMade + 1} tries: ${error.message}`
          : error.message;
      await this.attachments.recordFetchFailure(attachment.id, reason, final);
      this.logger.warn(
        { attachmentId: attachment.id, final, error: error.message },
        'media fetch failed',
      );
      if (!final) throw error;
    }
  }

  /** The settings of the sender the attachment's message arrived on; undefined for none. */
  private async settingsOfSender(
    attachmentId: string,
  ): Promise<Record<string, unknown> | undefined> {
    const senderId = await this.attachments.senderOf(attachmentId);
    if (!senderId) return undefined;
    const sender = await this.senders.find(senderId);
    if (!sender)
      throw SendError.permanent(`sender ${senderId} no longer exists: cannot fetch media`);
    return sender.settings;
  }

  private async sweep(): Promise<void> {
    try {
      const ids = await this.attachments.findPendingIds(
        this.config.outbound.sweepGraceMs,
        SWEEP_BATCH,
      );
      if (ids.length === 0) return;
      // Job ids are the attachment ids: a file whose job is waiting or retrying is not added
      // twice. A job that finished while its file is still pending (it gave up without recording
      // why) would swallow the new one under its id, so it goes first.
      const jobs = await Promise.all(ids.map((id) => this.queue.getJob(id)));
      await Promise.all(jobs.map((job) => (job?.finishedOn ? job.remove() : undefined)));
      await this.queue.addBulk(ids.map((id) => fetchJob(id, this.config)));
    } catch (error) {
      this.logger.warn(
        { error: (error as Error).message },
        'media sweep failed; next round retries',
      );
    }
  }
}
