import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DomainError } from '../../platform/errors/domain-error';
import { fetchPage, Page, PageQuery } from '../../platform/http/pagination';
import type { JsonObject } from '../../platform/database/json';
import { AppMetrics } from '../../platform/metrics/app-metrics';
import type { Channel } from '../conversation/channel';
import { Conversation } from '../conversation/conversation.entity';
import { ConversationService } from '../conversation/conversation.service';
import { Customer } from '../customer/customer.entity';
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
import { newMessage } from './new-message';
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
  ) {}

  /**
   * Stores the message and, for outbound, queues its send. The row is committed before the job
   * exists, so a Redis outage delays a message but never loses it.
   */
  async createMessage(input: CreateMessageDto, idempotencyKey?: string): Promise<CreatedMessage> {
    const hash = idempotencyKey ? requestHash(input) : undefined;
    if (idempotencyKey) {
      const earlier = await this.findIdempotentResponse(idempotencyKey, hash!);
      if (earlier) return earlier;
    }

    let created: CreatedMessage;
    try {
      created = await this.dataSource.transaction(async (manager) => {
        const message = await this.buildMessage(input, manager);
        await manager.insert(Message, message);
        await this.conversations.recordMessageAt(
          message.conversationId,
          message.createdAt,
          manager,
        );
        const response = {
          statusCode: message.direction === 'outbound' ? 202 : 201,
          body: mapMessage(message),
        };
        await this.eventLog.append(manager, {
          type: 'message.created',
          conversationId: message.conversationId,
          data: response.body,
        });
        if (idempotencyKey) {
          await manager.insert(IdempotencyKey, {
            key: idempotencyKey,
            requestHash: hash!,
            messageId: message.id,
            responseStatus: response.statusCode,
            responseBody: response.body,
          });
        }
        return response;
      });
    } catch (error) {
      // Two requests with one key raced: the loser answers with the winner's response.
      const earlier =
        idempotencyKey && isUniqueViolation(error)
          ? await this.findIdempotentResponse(idempotencyKey, hash!)
          : undefined;
      if (earlier) return earlier;
      throw error;
    }

    const { channel, direction, status } = created.body;
    this.metrics.messages.inc({ channel, direction, status });
    if (direction === 'outbound') await this.outboundQueue.enqueueOrDefer(created.body);
    return created;
  }

  async getMessage(id: string, manager?: EntityManager): Promise<Message> {
    const repository = manager ? manager.getRepository(Message) : this.messages;
    const message = await repository.findOneBy({ id });
    if (!message) throw DomainError.notFound('message', id);
    return message;
  }

  listMessages(query: ListMessagesQuery): Promise<Page<MessageResponse>> {
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
    return fetchPage(builder, query, mapMessage);
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
        data: mapMessage(updated),
      });
      return updated;
    });
    await this.outboundQueue.enqueueOrDefer(queued, true);
    return queued;
  }

  /** Which of these provider ids are already stored on the channel (one query for a batch). */
  async findStoredProviderMessageIds(
    channel: Channel,
    providerMessageIds: string[],
    manager: EntityManager,
  ): Promise<Set<string>> {
    if (providerMessageIds.length === 0) return new Set();
    const rows = await manager
      .getRepository(Message)
      .createQueryBuilder('message')
      .select('message.provider_message_id', 'id')
      .where('message.channel = :channel', { channel })
      .andWhere('message.provider_message_id IN (:...ids)', { ids: providerMessageIds })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((row) => row.id));
  }

  /** The conversation of the newest of these messages (an email's In-Reply-To and References). */
  async findConversationIdByProviderMessageIds(
    channel: Channel,
    providerMessageIds: string[],
    manager: EntityManager,
  ): Promise<string | null> {
    if (providerMessageIds.length === 0) return null;
    const row = await manager
      .getRepository(Message)
      .createQueryBuilder('message')
      .select('message.conversation_id', 'conversationId')
      .where('message.channel = :channel', { channel })
      .andWhere('message.provider_message_id IN (:...ids)', { ids: providerMessageIds })
      .orderBy('message.id', 'DESC')
      .limit(1)
      .getRawOne<{ conversationId: string }>();
    return row?.conversationId ?? null;
  }

  /**
   * Stores messages a provider delivered to us, in one statement, once per (channel,
   * provider_message_id): a redelivery racing past the caller's own check inserts nothing.
   * Returns the messages actually stored.
   */
  async storeInboundMessages(
    inputs: NewInboundMessage[],
    manager: EntityManager,
  ): Promise<Message[]> {
    if (inputs.length === 0) return [];
    const now = new Date();
    const messages = inputs.map((input) =>
      newMessage(
        {
          conversationId: input.conversationId,
          customerId: input.customerId,
          direction: 'inbound',
          channel: input.channel,
          status: 'received',
          body: input.body,
          subject: input.subject,
          metadata: input.metadata,
          providerMessageId: input.providerMessageId,
        },
        now,
      ),
    );
    const storedIds = new Set<string>();
    // Well below Postgres' 65535 bind parameters per statement.
    for (let start = 0; start < messages.length; start += 500) {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(Message)
        .values(messages.slice(start, start + 500))
        .orIgnore()
        .returning(['id'])
        .execute();
      (inserted.raw as { id: string }[]).forEach((row) => storedIds.add(row.id));
    }
    const stored = messages.filter((message) => storedIds.has(message.id));
    await this.eventLog.append(
      manager,
      stored.map((message) => ({
        type: 'message.created' as const,
        conversationId: message.conversationId,
        data: mapMessage(message),
      })),
    );
    for (const conversationId of new Set(stored.map((message) => message.conversationId))) {
      await this.conversations.recordMessageAt(conversationId, now, manager);
    }
    return stored;
  }

  private async buildMessage(input: CreateMessageDto, manager: EntityManager): Promise<Message> {
    const conversation = await this.conversations.getConversation(input.conversation_id, manager);
    if (conversation.channel !== input.channel) {
      throw new DomainError(
        'channel_mismatch',
        `conversation ${conversation.id} is on ${conversation.channel}, not ${input.channel}`,
      );
    }
    const outbound = input.direction === 'outbound';
    if (input.template && (input.channel !== 'whatsapp' || !outbound)) {
      throw new DomainError('invalid_input', 'template is only for outbound whatsapp messages');
    }
    if (!input.body && !input.template) {
      throw new DomainError(
        'invalid_input',
        input.channel === 'whatsapp' && outbound
          ? 'body or template is required'
          : 'body is required',
      );
    }
    const customer = await this.customers.getCustomer(conversation.customerId, manager);
    if (outbound && input.channel === 'whatsapp' && !input.template) {
      await this.assertWhatsappWindowOpen(customer.id, manager);
    }

    const now = new Date();
    return newMessage(
      {
        conversationId: conversation.id,
        customerId: customer.id,
        direction: input.direction,
        channel: input.channel,
        status: outbound ? 'queued' : 'received',
        body: input.body ?? null,
        subject: input.subject ?? (input.channel === 'email' ? conversation.subject : null) ?? null,
        template: input.template ?? null,
        metadata: input.metadata ?? {},
        recipient: outbound ? this.resolveRecipient(input, conversation, customer) : null,
        priority: input.priority ?? 'normal',
        expiresAt: input.validity_seconds
          ? new Date(now.getTime() + input.validity_seconds * 1000)
          : null,
      },
      now,
    );
  }

  /** metadata.recipient wins; otherwise the customer's address on the conversation's channel. */
  private resolveRecipient(
    input: CreateMessageDto,
    conversation: Conversation,
    customer: Customer,
  ): string | null {
    const explicit = input.metadata?.recipient;
    if (explicit !== undefined) {
      if (typeof explicit !== 'string' || !explicit.trim()) {
        throw new DomainError('invalid_input', 'metadata.recipient must be a non-empty string');
      }
      if (conversation.channel === 'whatsapp' || conversation.channel === 'sms') {
        return this.customers.toE164(explicit);
      }
      return explicit.trim();
    }
    switch (conversation.channel) {
      case 'whatsapp':
      case 'sms':
        return customer.phone;
      case 'email':
        return customer.email;
      case 'web':
        return customer.externalId;
    }
  }

  private async assertWhatsappWindowOpen(
    customerId: string,
    manager: EntityManager,
  ): Promise<void> {
    const hours = this.config.whatsapp.replyWindowHours;
    if (hours === 0) return;
    const [row] = await manager.query(
      `SELECT max(created_at) AS last_inbound_at FROM messages
        WHERE customer_id = $1 AND channel = 'whatsapp' AND direction = 'inbound'`,
      [customerId],
    );
    const lastInboundAt: Date | null = row?.last_inbound_at ?? null;
    if (!lastInboundAt || Date.now() - lastInboundAt.getTime() >= hours * 3600_000) {
      throw new DomainError(
        'whatsapp_window_closed',
        lastInboundAt
          ? `the customer last wrote on WhatsApp at ${lastInboundAt.toISOString()}, more than ${hours} h ago; send a template instead`
          : `the customer has never written on WhatsApp; free text needs a reply window of ${hours} h, send a template instead`,
      );
    }
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

function isUniqueViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string } }).driverError?.code === '23505';
}
