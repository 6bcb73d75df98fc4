import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { isEmail } from 'class-validator';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DomainError } from '../../platform/errors/domain-error';
import { fetchPage, Page, PageQuery } from '../../platform/http/pagination';
import type { JsonObject } from '../../platform/database/json';
import { PreparedSql } from '../../platform/database/prepared-sql';
import { AppMetrics } from '../../platform/metrics/app-metrics';
import { AttachmentService } from '../attachments/attachment.service';
import type { Channel } from '../../shared/channel';
import { ConversationService } from '../conversation/conversation.service';
import { CustomerService } from '../customer/customer.service';
import { EventLog } from '../events/event-log';
import { requestHash } from './canonical-json';
import {
  AttemptResponse,
  CreateMessageDto,
  ListMessagesQuery,
  mapAttempt,
  mapMessage,
  MessageResponse,
} from './dto/message.dto';
import { IdempotencyKey } from './idempotency-key.entity';
import { MessageAttempt } from './message-attempt.entity';
import { RETRYABLE_STATUSES } from './message-status';
import { Message } from './message.entity';
import { MessageDraft, newMessage } from './new-message';
import { ACCEPT_MESSAGE, ACCEPT_MESSAGE_WITH_KEY } from './accept-message.sql';
import { OutboundQueue } from './outbound.queue';

export interface NewInboundMessage {
  conversationId: string;
  customerId: string;
  channel: Channel;
  body: string | null;
  subject: string | null;
  metadata: JsonObject;
  providerMessageId: string | null;
}

export interface CreatedMessage {
  statusCode: number;
  body: MessageResponse;
}

@Injectable()
export class MessageService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectRepository(MessageAttempt) private readonly attempts: Repository<MessageAttempt>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly conversations: ConversationService,
    private readonly customers: CustomerService,
    private readonly outboundQueue: OutboundQueue,
    private readonly metrics: AppMetrics,
    private readonly eventLog: EventLog,
    private readonly sql: PreparedSql,
    private readonly attachments: AttachmentService,
  ) {}

  /**
   * Stores the message and, for outbound, queues its send. The row is committed before the job
   * exists, so a Redis outage delays a message but never loses it. The store is one statement
   * (see accept-message.sql.ts): this is the API's busiest path.
   */
  async createMessage(input: CreateMessageDto, idempotencyKey?: string): Promise<CreatedMessage> {
    const hash = idempotencyKey ? requestHash(input) : undefined;
    if (idempotencyKey) {
      const earlier = await this.findIdempotentResponse(idempotencyKey, hash!);
      if (earlier) return earlier;
    }

    const draft = this.draftMessage(input);
    const attachmentIds = input.attachments ?? [];
    const attachments =
      attachmentIds.length > 0
        ? await this.attachments.checkForMessage(attachmentIds, input.channel)
        : [];
    const statusCode = draft.direction === 'outbound' ? 202 : 201;
    let stored: StoredRow | undefined;
    try {
      [stored] = await this.sql.rows<StoredRow>(
        idempotencyKey ? ACCEPT_MESSAGE_WITH_KEY : ACCEPT_MESSAGE,
        [
          draft.id,
          draft.conversationId,
          draft.direction,
          draft.channel,
          draft.body,
          draft.subject,
          draft.template && JSON.stringify(draft.template),
          JSON.stringify(draft.metadata),
          draft.recipient,
          draft.priority,
          draft.status,
          draft.expiresAt,
          draft.createdAt,
          this.replyWindowStart(input, draft.createdAt),
          attachmentIds,
          ...(idempotencyKey ? [idempotencyKey, hash, statusCode] : []),
        ],
      );
    } catch (error) {
      // Two requests with one key raced: the loser answers with the winner's response.
      const earlier =
        idempotencyKey && isUniqueViolation(error)
          ? await this.findIdempotentResponse(idempotencyKey, hash!)
          : undefined;
      if (earlier) return earlier;
      throw error;
    }
    if (!stored) throw await this.whyNotAccepted(input);

    const body = mapMessage(
      {
        ...draft,
        customerId: stored.customer_id,
        senderId: stored.sender_id,
        subject: stored.subject,
        recipient: stored.recipient,
      },
      attachments,
    );
    this.metrics.messages.inc({
      channel: body.channel,
      direction: body.direction,
      status: body.status,
    });
    if (body.direction === 'outbound') await this.outboundQueue.enqueueOrDefer(body);
    return { statusCode, body };
  }

  async getMessage(id: string, manager?: EntityManager): Promise<Message> {
    const repository = manager ? manager.getRepository(Message) : this.messages;
    const message = await repository.findOneBy({ id });
    if (!message) throw DomainError.notFound('message', id);
    return message;
  }

  /** The message as the API shows it, with its attachments. */
  async describeMessage(message: Message): Promise<MessageResponse> {
    const attachments = await this.attachments.listForMessages([message.id]);
    return mapMessage(message, attachments.get(message.id));
  }

  async listMessages(query: ListMessagesQuery): Promise<Page<MessageResponse>> {
    const builder = this.messages.createQueryBuilder('message');
    if (query.status) builder.andWhere('message.status = :status', { status: query.status });
    if (query.channel) builder.andWhere('message.channel = :channel', { channel: query.channel });
    if (query.direction) {
      builder.andWhere('message.direction = :direction', { direction: query.direction });
    }
    if (query.conversation_id) {
      builder.andWhere('message.conversation_id = :conversationId', {
        conversationId: query.conversation_id,
      });
    }
    const page = await fetchPage(builder, query, mapMessage);
    const attachments = await this.attachments.listForMessages(page.data.map((m) => m.id));
    for (const message of page.data) message.attachments = attachments.get(message.id) ?? [];
    return page;
  }

  async listConversationMessages(
    conversationId: string,
    page: PageQuery,
  ): Promise<Page<MessageResponse>> {
    await this.conversations.getConversation(conversationId);
    return this.listMessages({ ...page, conversation_id: conversationId });
  }

  async listAttempts(messageId: string): Promise<AttemptResponse[]> {
    await this.getMessage(messageId);
    const attempts = await this.attempts.find({ where: { messageId }, order: { id: 'ASC' } });
    return attempts.map(mapAttempt);
  }

  /** A fresh round of attempts for a dead letter; its attempt history stays. */
  async retryMessage(id: string): Promise<Message> {
    const message = await this.getMessage(id);
    if (message.direction !== 'outbound' || !RETRYABLE_STATUSES.includes(message.status)) {
      throw new DomainError(
        'invalid_state',
        `message ${id} is ${message.direction} and ${message.status}; only failed or expired outbound messages can be retried`,
      );
    }
    const queued = await this.dataSource.transaction(async (manager) => {
      const result = await manager.getRepository(Message).update(
        { id, status: In([...RETRYABLE_STATUSES]) },
        // A person asked to send it now: an old validity window would expire it again at once.
        { status: 'queued', failedAt: null, nextAttemptAt: null, expiresAt: null },
      );
      if (result.affected !== 1) {
        throw new DomainError('invalid_state', `message ${id} changed while being retried`);
      }
      const updated = await this.getMessage(id, manager);
      await this.eventLog.append(manager, {
        type: 'message.updated',
        conversationId: updated.conversationId,
        previousStatus: message.status,
        data: await this.describeMessage(updated),
      });
      return updated;
    });
    await this.outboundQueue.enqueueOrDefer(queued, true);
    return queued;
  }

  /** The conversation of the newest of these messages (an email's In-Reply-To and References). */
  async findConversationIdByProviderMessageIds(
    channel: Channel,
    providerMessageIds: string[],
  ): Promise<string | null> {
    if (providerMessageIds.length === 0) return null;
    const row = await this.messages
      .createQueryBuilder('message')
      .select('message.conversation_id', 'conversationId')
      .where('message.channel = :channel', { channel })
      .andWhere('message.provider_message_id IN (:...ids)', { ids: providerMessageIds })
      .orderBy('message.id', 'DESC')
      .limit(1)
      .getRawOne<{ conversationId: string }>();
    return row?.conversationId ?? null;
  }

  /** The row as far as the request alone decides it; the statement fills in the customer. */
  private draftMessage(input: CreateMessageDto): MessageDraft {
    const outbound = input.direction === 'outbound';
    if (input.template && (input.channel !== 'whatsapp' || !outbound)) {
      throw DomainError.invalidField('template', 'template is only for outbound whatsapp messages');
    }
    if (!input.body && !input.template && !input.attachments?.length) {
      throw DomainError.invalidField(
        'body',
        input.channel === 'whatsapp' && outbound
          ? 'body, template or attachments is required'
          : 'body or attachments is required',
      );
    }
    if (input.template && input.attachments?.length) {
      throw new DomainError('invalid_input', 'a template message carries no attachments');
    }
    const now = new Date();
    return newMessage(
      {
        conversationId: input.conversation_id,
        direction: input.direction,
        channel: input.channel,
        status: outbound ? 'queued' : 'received',
        body: input.body ?? null,
        subject: input.subject ?? null,
        template: input.template ?? null,
        metadata: input.metadata ?? {},
        recipient: outbound ? this.explicitRecipient(input) : null,
        priority: input.priority ?? 'normal',
        expiresAt: input.validity_seconds
          ? new Date(now.getTime() + input.validity_seconds * 1000)
          : null,
      },
      now,
    );
  }

  /** metadata.recipient, when given, wins over the customer's address on the channel. */
  private explicitRecipient(input: CreateMessageDto): string | null {
    const explicit = input.metadata?.recipient;
    if (explicit === undefined) return null;
    const field = 'metadata.recipient';
    if (typeof explicit !== 'string' || !explicit.trim()) {
      throw DomainError.invalidField(field, `${field} must be a non-empty string`);
    }
    if (input.channel === 'whatsapp' || input.channel === 'sms') {
      return this.customers.toE164(explicit, field);
    }
    const recipient = explicit.trim();
    if (input.channel === 'email' && !isEmail(recipient)) {
      throw DomainError.invalidField(
        field,
        `${field} must be an email address on the email channel`,
      );
    }
    return recipient;
  }

  /** Free text on WhatsApp needs an inbound message after this instant; null: no such rule. */
  private replyWindowStart(input: CreateMessageDto, now: Date): Date | null {
    const hours = this.config.whatsapp.replyWindowHours;
    const needsWindow =
      input.direction === 'outbound' && input.channel === 'whatsapp' && !input.template;
    return needsWindow && hours > 0 ? new Date(now.getTime() - hours * 3600_000) : null;
  }

  /** The error for a message the accept statement did not store, read again to name it. */
  private async whyNotAccepted(input: CreateMessageDto): Promise<DomainError> {
    const conversation = await this.conversations.getConversation(input.conversation_id);
    if (conversation.channel !== input.channel) {
      return new DomainError(
        'channel_mismatch',
        `conversation ${conversation.id} is on ${conversation.channel}, not ${input.channel}`,
      );
    }
    if (input.direction === 'outbound') {
      const [sender] = await this.dataSource.query(`SELECT status FROM senders WHERE id = $1`, [
        conversation.senderId,
      ]);
      if (sender?.status === 'disabled') {
        return new DomainError(
          'sender_disabled',
          `sender ${conversation.senderId} of conversation ${conversation.id} is disabled; enable it or use another conversation`,
        );
      }
    }
    if (this.replyWindowStart(input, new Date())) {
      const closed = await this.whatsappWindowClosed(conversation.customerId);
      if (closed) return closed;
    }
    return new DomainError('invalid_state', `conversation ${conversation.id} changed; try again`);
  }

  private async whatsappWindowClosed(customerId: string): Promise<DomainError | null> {
    const hours = this.config.whatsapp.replyWindowHours;
    const [row] = await this.dataSource.query(
      `SELECT max(created_at) AS last_inbound_at FROM messages
        WHERE customer_id = $1 AND channel = 'whatsapp' AND direction = 'inbound'`,
      [customerId],
    );
    const lastInboundAt: Date | null = row?.last_inbound_at ?? null;
    if (lastInboundAt && Date.now() - lastInboundAt.getTime() < hours * 3600_000) return null;
    return new DomainError(
      'whatsapp_window_closed',
      lastInboundAt
        ? `the customer last wrote on WhatsApp at ${lastInboundAt.toISOString()}, more than ${hours} h ago; send a template instead`
        : `the customer has never written on WhatsApp; free text needs a reply window of ${hours} h, send a template instead`,
    );
  }

  private async findIdempotentResponse(
    key: string,
    hash: string,
  ): Promise<CreatedMessage | undefined> {
    const earlier = await this.dataSource.getRepository(IdempotencyKey).findOneBy({ key });
    if (!earlier) return undefined;
    if (earlier.requestHash !== hash) {
      throw new DomainError(
        'idempotency_key_reused',
        'this Idempotency-Key was already used with a different request body',
      );
    }
    return { statusCode: earlier.responseStatus, body: earlier.responseBody as MessageResponse };
  }
}

interface StoredRow {
  customer_id: string;
  sender_id: string;
  subject: string | null;
  recipient: string | null;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string } }).driverError?.code === '23505';
}
