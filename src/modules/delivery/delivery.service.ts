import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { AppMetrics, AttemptOutcome } from '../../platform/metrics/app-metrics';
import { AttachmentService } from '../attachments/attachment.service';
import type { Channel } from '../../shared/channel';
import { ClaimedMessage, DeliveryLedger } from '../messaging/delivery-ledger';
import type { AcceptedSend, OutboundJob } from './outbound-job';
import { DEFAULT_THROTTLE_PAUSE_MS } from './retry-policy';
import { OUTBOUND_CLIENTS, OutboundClient, SendResult } from '../../providers/outbound-client';
import { SendError } from '../../shared/send-error';
import { retryDelayMs } from '../../platform/queue/retry-backoff';

/** Where this try leaves the message, and so what the queue must do with its job. */
export type DeliveryOutcome =
  | { kind: 'skipped' }
  | { kind: 'sent' }
  | { kind: 'expired' }
  | { kind: 'failed'; error: string }
  | { kind: 'retry'; delayMs: number; error: SendError }
  | { kind: 'throttled'; pauseMs: number; error: SendError };

/** What the queue knows about the job's budget when this try starts. */
export interface TryBudget {
  /** 1-based number of this try within the current round of retries. */
  tryNumber: number;
  maxTries: number;
  /** False once a throttled provider has bounced this job too often. */
  mayWaitForThrottle: boolean;
}

const MISSING_RECIPIENT: Record<Channel, string> = {
  whatsapp: 'the customer has no phone number',
  sms: 'the customer has no phone number',
  email: 'the customer has no email address',
  web: 'the customer has no external_id',
};

/**
 * One try at sending one message: claim it, hand it to its channel's sender, record the attempt
 * and move the status. Knows nothing of BullMQ; the processor turns the outcome into queue moves.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);
  private readonly clients: Map<Channel, OutboundClient>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OUTBOUND_CLIENTS) clients: OutboundClient[],
    private readonly ledger: DeliveryLedger,
    private readonly metrics: AppMetrics,
    private readonly attachments: AttachmentService,
  ) {
    this.clients = new Map(clients.map((client) => [client.channel, client]));
  }

  isConfigured(channel: Channel): boolean {
    return this.clients.has(channel);
  }

  /**
   * `keepAccepted` stores the provider's yes with the job when the database refuses to record
   * it, so that the next run of the job writes it instead of sending again. An error that makes
   * Postgres unavailable propagates: the caller waits for the database, and the try is not spent.
   */
  async deliver(
    job: OutboundJob,
    budget: TryBudget,
    keepAccepted: (accepted: AcceptedSend) => Promise<void>,
  ): Promise<DeliveryOutcome> {
    if (job.accepted) return this.recordAccepted(job.messageId, job.accepted);
    const message = await this.ledger.claimForSending(job.messageId);
    if (!message) return { kind: 'skipped' };
    if (message.expiresAt && message.expiresAt.getTime() <= Date.now()) {
      await this.ledger.expire(
        message.id,
        'expired: validity_seconds passed before it could be sent',
      );
      this.logger.log(
        { messageId: message.id, channel: message.channel },
        'message expired unsent',
      );
      this.countStatus(message.channel, 'expired');
      return { kind: 'expired' };
    }

    const startedAt = new Date();
    let result: SendResult;
    try {
      result = await this.send(message);
    } catch (thrown) {
      const error =
        thrown instanceof SendError
          ? thrown
          : SendError.transient(`unexpected error: ${(thrown as Error).message}`);
      return this.handleFailure(message, budget, startedAt, error);
    }
    this.observeAttempt(message.channel, 'sent', startedAt);
    const accepted: AcceptedSend = {
      ...result,
      channel: message.channel,
      attempt: message.attempt,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    try {
      return await this.recordAccepted(message.id, accepted);
    } catch (error) {
      await keepAccepted(accepted);
      this.logger.warn(
        { messageId: message.id, channel: message.channel, reason: (error as Error).message },
        'provider accepted the message but its outcome could not be written; kept for the next run',
      );
      throw error;
    }
  }

  private async recordAccepted(
    messageId: string,
    accepted: AcceptedSend,
  ): Promise<DeliveryOutcome> {
    const { channel, attempt, driver } = accepted;
    await this.ledger.recordSent(
      messageId,
      {
        attempt,
        startedAt: new Date(accepted.startedAt),
        finishedAt: new Date(accepted.finishedAt),
        outcome: 'sent',
        httpStatus: accepted.httpStatus,
      },
      accepted.providerMessageId,
      driver ? { delivery_driver: driver } : {},
    );
    this.logger.log({ messageId, channel, attempt, driver }, 'message sent');
    this.countStatus(channel, 'sent');
    return { kind: 'sent' };
  }

  private observeAttempt(channel: Channel, outcome: AttemptOutcome, startedAt: Date): void {
    this.metrics.attempts.inc({ channel, outcome });
    this.metrics.attemptDuration.observe({ channel }, (Date.now() - startedAt.getTime()) / 1000);
  }

  private countStatus(channel: Channel, status: 'sent' | 'retrying' | 'failed' | 'expired'): void {
    this.metrics.messages.inc({ channel, direction: 'outbound', status });
  }

  private async send(message: ClaimedMessage) {
    const client = this.clients.get(message.channel);
    if (!client) throw SendError.permanent(`channel ${message.channel} is not configured`);
    if (!message.recipient) {
      throw SendError.permanent(`no recipient: ${MISSING_RECIPIENT[message.channel]}`);
    }
    const attachments = message.hasAttachments
      ? await this.attachments.listForSending(message.id)
      : [];
    return client.send({ ...message, recipient: message.recipient, attachments });
  }

  private async handleFailure(
    message: ClaimedMessage,
    budget: TryBudget,
    startedAt: Date,
    error: SendError,
  ): Promise<DeliveryOutcome> {
    const attempt = {
      attempt: message.attempt,
      startedAt,
      finishedAt: new Date(),
      outcome:
        error.kind === 'permanent' ? ('permanent_error' as const) : ('transient_error' as const),
      httpStatus: error.httpStatus,
      error: error.message,
    };
    this.observeAttempt(message.channel, attempt.outcome, startedAt);
    const context = {
      messageId: message.id,
      channel: message.channel,
      attempt: message.attempt,
      kind: error.kind,
      httpStatus: error.httpStatus,
      providerCode: error.providerCode,
      reason: error.message,
    };

    if (error.kind === 'transient' && error.rateLimited && budget.mayWaitForThrottle) {
      const pauseMs = Math.max(error.retryAfterMs ?? 0, DEFAULT_THROTTLE_PAUSE_MS);
      await this.ledger.recordRetry(message.id, attempt, new Date(Date.now() + pauseMs));
      this.logger.warn(
        { ...context, pauseMs },
        `provider throttled the ${error.rateLimited}; pausing it`,
      );
      this.countStatus(message.channel, 'retrying');
      return { kind: 'throttled', pauseMs, error };
    }
    if (error.kind === 'transient' && budget.tryNumber < budget.maxTries) {
      const delayMs = retryDelayMs(
        this.config.outbound.retryDelaysMs,
        budget.tryNumber,
        error.retryAfterMs,
      );
      await this.ledger.recordRetry(message.id, attempt, new Date(Date.now() + delayMs));
      this.logger.warn({ ...context, delayMs }, 'send failed; will retry');
      this.countStatus(message.channel, 'retrying');
      return { kind: 'retry', delayMs, error };
    }

    const final =
      error.kind === 'permanent'
        ? error.message
        : `gave up after ${budget.tryNumber} ${budget.tryNumber === 1 ? 'try' : 'tries'}: ${error.message}`;
    await this.ledger.recordFailure(message.id, attempt, final);
    this.logger.warn({ ...context, reason: final }, 'message failed');
    this.countStatus(message.channel, 'failed');
    return { kind: 'failed', error: final };
  }
}
