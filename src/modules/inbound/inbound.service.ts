import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { newId } from '../../platform/database/new-id';
import { DomainError } from '../../platform/errors/domain-error';
import { fetchPage, Page } from '../../platform/http/pagination';
import { Conversation } from '../conversation/conversation.entity';
import { ConversationService } from '../conversation/conversation.service';
import { CustomerService, inboundSenderKey } from '../customer/customer.service';
import { MessageService } from '../messaging/message.service';
import { ReceiptService } from '../messaging/receipt.service';
import {
  InboundEventResponse,
  ListInboundEventsQuery,
  mapInboundEvent,
} from './dto/inbound-event.dto';
import type { InboundBatch, InboundMessageInput } from './inbound-batch';
import { InboundEvent } from './inbound-event.entity';
import { InboundMessageEvents, InboundMessageReceived } from './inbound-message.events';
import { parseInboundPayload } from './inbound-parsers';
import type { InboundProvider } from './inbound-provider';
import type { RawWebhook } from './webhook-request';

/** How many events one time-window replay processes; call again for the rest. */
const REPLAY_WINDOW_LIMIT = 500;

/**
 * The inbound use-cases. A verified webhook is first kept raw in inbound_events (its own commit),
 * then processed in one transaction that also marks the event processed, so the 200 that follows
 * means stored-and-processed or stored-with-error, never lost. A failed event keeps its error and
 * is processed again by a replay or by the provider's redelivery of the same bytes.
 */
@Injectable()
export class InboundService {
  private readonly logger = new Logger(InboundService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(InboundEvent) private readonly events: Repository<InboundEvent>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly customers: CustomerService,
    private readonly conversations: ConversationService,
    private readonly messages: MessageService,
    private readonly receipts: ReceiptService,
    private readonly messageEvents: InboundMessageEvents,
  ) {}

  async receiveWebhook(provider: InboundProvider, webhook: RawWebhook): Promise<InboundEvent> {
    // A malformed payload is refused (400) before anything is kept: retrying it cannot help.
    this.parse(provider, webhook);
    const id = newId();
    const eventKey = createHash('sha256').update(webhook.payload).digest('hex');
    const inserted = await this.events
      .createQueryBuilder()
      .insert()
      .values({
        id,
        provider,
        eventKey,
        contentType: webhook.contentType,
        headers: webhook.headers,
        payload: webhook.payload,
        status: 'received',
        attempts: 0,
        createdAt: new Date(),
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    if ((inserted.raw as unknown[]).length > 0) return this.processEvent(id);

    const earlier = await this.events.findOneByOrFail({ provider, eventKey });
    this.logger.log(
      { eventId: earlier.id, provider, status: earlier.status },
      'webhook redelivered',
    );
    // Identical bytes: already handled, unless the first try failed, which deserves another go.
    return earlier.status === 'failed' ? this.processEvent(earlier.id) : earlier;
  }

  async getEvent(id: string): Promise<InboundEvent> {
    const event = await this.events.findOneBy({ id });
    if (!event) throw DomainError.notFound('inbound event', id);
    return event;
  }

  listEvents(query: ListInboundEventsQuery): Promise<Page<InboundEventResponse>> {
    const builder = this.events.createQueryBuilder('event');
    if (query.status) builder.andWhere('event.status = :status', { status: query.status });
    if (query.provider)
      builder.andWhere('event.provider = :provider', { provider: query.provider });
    return fetchPage(builder, query, mapInboundEvent);
  }

  /** Failed events, and `received` ones whose process died before it could finish them. */
  async replayEvent(id: string): Promise<InboundEvent> {
    const event = await this.getEvent(id);
    if (event.status === 'processed') {
      throw new DomainError('invalid_state', `inbound event ${id} is already processed`);
    }
    return this.processEvent(id);
  }

  async replayWindow(from: Date, to: Date): Promise<InboundEvent[]> {
    const pending = await this.events
      .createQueryBuilder('event')
      .where("event.status <> 'processed'")
      .andWhere('event.created_at >= :from AND event.created_at < :to', { from, to })
      .orderBy('event.created_at', 'ASC')
      .limit(REPLAY_WINDOW_LIMIT)
      .getMany();
    const replayed: InboundEvent[] = [];
    // One at a time, oldest first: events about one conversation keep their order.
    for (const event of pending) replayed.push(await this.processEvent(event.id));
    return replayed;
  }

  /**
   * Processes an event under a lock on its row, so a replay racing the first attempt (or two
   * redeliveries) waits and then finds it processed. Everything it stores is idempotent anyway:
   * messages by provider id, receipts by (event, position).
   */
  private async processEvent(id: string): Promise<InboundEvent> {
    const received: InboundMessageReceived[] = [];
    let processed: InboundEvent;
    try {
      processed = await this.dataSource.transaction(async (manager) => {
        const event = await manager
          .getRepository(InboundEvent)
          .createQueryBuilder('event')
          .setLock('pessimistic_write')
          .where('event.id = :id', { id })
          .getOneOrFail();
        if (event.status === 'processed') return event;
        received.push(
          ...(await this.applyBatch(event, this.parse(event.provider, event), manager)),
        );
        Object.assign(event, {
          status: 'processed',
          error: null,
          attempts: event.attempts + 1,
          processedAt: new Date(),
        });
        await manager.save(event);
        return event;
      });
    } catch (error) {
      const reason = (error as Error).message ?? String(error);
      await this.events
        .createQueryBuilder()
        .update()
        .set({ status: 'failed', error: reason, attempts: () => 'attempts + 1' })
        .where("id = :id AND status <> 'processed'", { id })
        .execute();
      this.logger.warn({ eventId: id, error: reason }, 'inbound event failed; kept for replay');
      return this.getEvent(id);
    }
    for (const event of received) this.messageEvents.publish(event);
    return processed;
  }

  private async applyBatch(
    event: InboundEvent,
    batch: InboundBatch,
    manager: EntityManager,
  ): Promise<InboundMessageReceived[]> {
    const stored = await this.storeMessages(batch.messages, manager);
    for (const [position, receipt] of batch.receipts.entries()) {
      const recorded = await this.receipts.recordReceipt(
        receipt,
        `${event.id}:${position}`,
        manager,
      );
      if (!recorded.messageId) {
        this.logger.log(
          {
            eventId: event.id,
            channel: receipt.channel,
            providerMessageId: receipt.providerMessageId,
          },
          'receipt for an unknown message: kept, applied to nothing',
        );
      }
    }
    this.logger.log(
      {
        eventId: event.id,
        provider: event.provider,
        stored: stored.length,
        receipts: batch.receipts.length,
      },
      'inbound event processed',
    );
    return stored.map((message) => ({
      messageId: message.id,
      conversationId: message.conversationId,
      customerId: message.customerId,
      channel: message.channel,
    }));
  }

  /**
   * Customer → conversation → message for a whole batch, in a fixed number of statements
   * whatever its size: a provider may batch hundreds of messages and still expects a fast answer.
   */
  private async storeMessages(inputs: InboundMessageInput[], manager: EntityManager) {
    // A redelivery must not open a conversation for a message it then does not store.
    const fresh = await this.withoutStored(inputs, manager);
    const conversationOf = new Map<InboundMessageInput, Conversation>();
    const customerOf = new Map<InboundMessageInput, string>();
    for (const input of fresh) {
      const thread = await this.findThread(input, manager);
      if (thread?.status === 'open') conversationOf.set(input, thread);
      else if (thread) customerOf.set(input, thread.customerId);
    }
    const senders = fresh.filter((input) => !conversationOf.has(input) && !customerOf.has(input));
    const customers = await this.customers.resolveInboundSenders(
      senders.map((input) => input.sender),
      manager,
    );
    senders.forEach((input) =>
      customerOf.set(input, customers.get(inboundSenderKey(input.sender))!.id),
    );

    const groups = new Map<string, InboundMessageInput[]>();
    for (const input of customerOf.keys()) {
      const group = `${input.channel}\u0000${input.subject ?? ''}`;
      groups.set(group, [...(groups.get(group) ?? []), input]);
    }
    for (const group of groups.values()) {
      const { channel, subject } = group[0];
      const ids = group.map((input) => customerOf.get(input)!);
      const open = await this.conversations.resolveOpenConversations(
        ids,
        channel,
        manager,
        subject,
      );
      group.forEach((input) => conversationOf.set(input, open.get(customerOf.get(input)!)!));
    }

    return this.messages.storeInboundMessages(
      fresh.map((input) => {
        const conversation = conversationOf.get(input)!;
        return {
          conversationId: conversation.id,
          customerId: conversation.customerId,
          channel: input.channel,
          body: input.body,
          subject: input.subject,
          metadata: input.metadata,
          providerMessageId: input.providerMessageId,
        };
      }),
      manager,
    );
  }

  /** The inputs not yet stored, each provider id once. */
  private async withoutStored(inputs: InboundMessageInput[], manager: EntityManager) {
    const seen = new Set<string>();
    for (const channel of new Set(inputs.map((input) => input.channel))) {
      const ids = inputs
        .filter((input) => input.channel === channel && input.providerMessageId)
        .map((input) => input.providerMessageId!);
      const stored = await this.messages.findStoredProviderMessageIds(channel, ids, manager);
      stored.forEach((id) => seen.add(`${channel}:${id}`));
    }
    return inputs.filter((input) => {
      if (!input.providerMessageId) return true;
      const key = `${input.channel}:${input.providerMessageId}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /**
   * The conversation of the message this one answers. A reply joins that conversation's
   * customer even when it comes from another address (a colleague, an alias); a closed one is
   * not reopened: that customer's open conversation on the channel takes the reply instead.
   */
  private async findThread(
    input: InboundMessageInput,
    manager: EntityManager,
  ): Promise<Conversation | null> {
    if (input.inReplyTo.length === 0) return null;
    const conversationId = await this.messages.findConversationIdByProviderMessageIds(
      input.channel,
      input.inReplyTo,
      manager,
    );
    return conversationId ? this.conversations.getConversation(conversationId, manager) : null;
  }

  private parse(
    provider: InboundProvider,
    raw: Pick<RawWebhook, 'contentType' | 'payload' | 'headers'>,
  ) {
    return parseInboundPayload(provider, raw.payload, {
      contentType: raw.contentType,
      headers: raw.headers,
      defaultCountry: this.config.defaultCountry,
    });
  }
}
