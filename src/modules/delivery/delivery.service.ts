import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { AppMetrics, AttemptOutcome } from '../../platform/metrics/app-metrics';
import { AttachmentService } from '../attachments/attachment.service';
import type { Channel } from '../../shared/channel';
import { ClaimedMessage, DeliveryLedger } from '../messaging/delivery-ledger';
import type { AcceptedSend, OutboundJob } from './outbound-job';
import { DEFAULT_THROTTLE_PAUSE_MS } from './retry-policy';
import type { OutboundClient, OutboundMessage, SendResult } from '../../providers/outbound-client';
import { SendError } from '../../shared/send-error';
import { retryDelayMs } from '../../platform/queue/retry-backoff';
import { SenderDirectory } from '../senders/sender-directory';
import { SenderHealth } from '../senders/sender-health';
import { SenderClients } from './sender-clients';
import { SenderGate } from './sender-gate';
import type { SendTurn } from './send-slots';

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

/** One provider call, settled: what it answered or how it failed, and when it began. */
type TriedSend = { startedAt: Date } & ({ result: SendResult } | { error: SendError });

const MISSING_RECIPIENT: Record<Channel, string> = {
  whatsapp: 'the customer has no phone number',
  sms: 'the customer has no phone number',
  email: 'the customer has no email address',
  web: 'the customer has no external_id',
};

/**
 * One try at sending one message: claim it, hand it to the client of its sender, record the
 * attempt and move the status. Knows nothing of BullMQ; the processor turns the outcome into
 * queue moves. Only the provider call holds one of its channel's send slots (`turn`, SendSlots):
 * the claim before it and the outcome after it wait on the database, and meanwhile the slot
 * serves another message's call.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: DeliveryLedger,
    private readonly metrics: AppMetrics,
    private readonly attachments: AttachmentService,
    private readonly senders: SenderDirectory,
    private readonly clients: SenderClients,
    private readonly gate: SenderGate,
    private readonly health: SenderHealth,
  ) {}

  /**
   * How long the message must wait before its try, for its sender's rate or a provider's pause
   * of the sender (0: go, and the send is counted against the rate). A message that will not
   * reach a provider (gone, sender missing or disabled) goes at once, to be settled by its try.
   */
  async waitBeforeSending(job: OutboundJob): Promise<number> {
    if (job.accepted) return 0;
    const senderId = await this.ledger.senderOf(job.messageId);
    const sender = senderId ? await this.senders.find(senderId) : null;
    if (!sender?.canSend || sender.status !== 'enabled') return 0;
    return this.gate.waitMs(sender.id, sender.rateLimitPerSecond);
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
    turn: SendTurn,
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
        { messageId: message.id, channel: message.channel, senderId: message.senderId },
        'message expired unsent',
      );
      this.countStatus(message, 'expired');
      return { kind: 'expired' };
    }

    const tried = await this.trySend(message, turn);
    if ('error' in tried) return this.handleFailure(message, budget, tried.startedAt, tried.error);
    const { startedAt, result } = tried;
    this.observeAttempt(message, 'sent', startedAt);
    const accepted: AcceptedSend = {
      ...result,
      channel: message.channel,
      senderId: message.senderId,
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
    const { channel, senderId, attempt, driver } = accepted;
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
    this.logger.log({ messageId, channel, senderId, attempt, driver }, 'message sent');
    this.countStatus({ channel, senderId }, 'sent');
    return { kind: 'sent' };
  }

  private observeAttempt(message: ClaimedMessage, outcome: AttemptOutcome, startedAt: Date): void {
    const { channel, senderId: sender } = message;
    this.metrics.attempts.inc({ channel, outcome, sender });
    this.metrics.attemptDuration.observe({ channel }, (Date.now() - startedAt.getTime()) / 1000);
  }

  private countStatus(
    { channel, senderId }: { channel: Channel; senderId?: string },
    status: 'sent' | 'retrying' | 'failed' | 'expired',
  ): void {
    this.metrics.messages.inc({ channel, direction: 'outbound', status, sender: senderId });
  }

  /**
   * The provider call, in its send slot; settles with its error rather than throwing it. The
   * sender and files are read before the slot is taken, so no database read waits in it.
   */
  private async trySend(message: ClaimedMessage, turn: SendTurn): Promise<TriedSend> {
    let startedAt = new Date();
    try {
      const client = await this.clientFor(message);
      if (!message.recipient) {
        throw SendError.permanent(`no recipient: ${MISSING_RECIPIENT[message.channel]}`);
      }
      const attachments = message.hasAttachments
        ? await this.attachments.listForSending(message.id)
        : [];
      const outbound: OutboundMessage = { ...message, recipient: message.recipient, attachments };
      const result = await turn.send(() => {
        startedAt = new Date();
        return this.send(client, outbound, message.senderId);
      });
      return { startedAt, result };
    } catch (thrown) {
      const error =
        thrown instanceof SendError
          ? thrown
          : SendError.transient(`unexpected error: ${(thrown as Error).message}`);
      return { startedAt, error };
    }
  }

  private async send(
    client: OutboundClient,
    outbound: OutboundMessage,
    senderId: string,
  ): Promise<SendResult> {
    try {
      const result = await client.send(outbound);
      this.health.succeeded(senderId);
      return result;
    } catch (error) {
      this.health.failed(senderId, (error as Error).message);
      throw error;
    }
  }

  private async clientFor({ senderId, channel }: ClaimedMessage): Promise<OutboundClient> {
    const sender = await this.senders.find(senderId);
    if (!sender) {
      throw SendError.permanent(
        `sender ${senderId} cannot send: it is deleted or its secrets do not open`,
      );
    }
    if (sender.status === 'disabled') throw SendError.permanent(`sender ${senderId} is disabled`);
    if (!sender.canSend) throw SendError.permanent(`channel ${channel} is not configured`);
    return this.clients.clientFor(sender);
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
    this.observeAttempt(message, attempt.outcome, startedAt);
    const context = {
      messageId: message.id,
      channel: message.channel,
      senderId: message.senderId,
      attempt: message.attempt,
      kind: error.kind,
      httpStatus: error.httpStatus,
      providerCode: error.providerCode,
      reason: error.message,
    };

    if (error.kind === 'transient' && error.rateLimited && budget.mayWaitForThrottle) {
      const pauseMs = Math.max(error.retryAfterMs ?? 0, DEFAULT_THROTTLE_PAUSE_MS);
      // A recipient limit delays this message only; any other holds the whole sender.
      if (error.rateLimited !== 'recipient') await this.gate.pause(message.senderId, pauseMs);
      await this.ledger.recordRetry(message.id, attempt, new Date(Date.now() + pauseMs));
      this.logger.warn(
        { ...context, pauseMs },
        `provider throttled the ${error.rateLimited === 'recipient' ? 'recipient' : 'sender'}; pausing it`,
      );
      this.countStatus(message, 'retrying');
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
      this.countStatus(message, 'retrying');
      return { kind: 'retry', delayMs, error };
    }

    const final =
      error.kind === 'permanent'
        ? error.message
        : `gave up after ${budget.tryNumber} ${budget.tryNumber === 1 ? 'try' : 'tries'}: ${error.message}`;
    await this.ledger.recordFailure(message.id, attempt, final);
    this.logger.warn({ ...context, reason: final }, 'message failed');
    this.countStatus(message, 'failed');
    return { kind: 'failed', error: final };
  }
}
