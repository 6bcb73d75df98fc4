import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { isDatabaseFault } from '../../platform/database/database-unavailable';
import { PreparedSql } from '../../platform/database/prepared-sql';
import { newId } from '../../platform/database/new-id';
import { DomainError } from '../../platform/errors/domain-error';
import { fetchPage, Page } from '../../platform/http/pagination';
import { Conversation } from '../conversation/conversation.entity';
import { ConversationService } from '../conversation/conversation.service';
import { AttachmentService, InboundAttachmentLinks } from '../attachments/attachment.service';
import type { Channel } from '../../shared/channel';
import { messageKey, subjectKey } from '../customer/subject-keys';
import { MessageService } from '../messaging/message.service';
import { ReceiptService, type ReceiptSubject } from '../messaging/receipt.service';
import {
  InboundEventResponse,
  ListInboundEventsQuery,
  mapInboundEvent,
} from './dto/inbound-event.dto';
import type {
  InboundBatch,
  InboundMessageInput,
  InboundCustomer,
} from '../../providers/inbound-batch';
import { InboundEvent } from './inbound-event.entity';
import { InboundMessageEvents, InboundMessageReceived } from './inbound-message.events';
import { parseInboundPayload } from './inbound-parsers';
import type { InboundProvider } from './inbound-provider';
import { InboundRouter, type Route } from './inbound-router';
import { decodeStored, noSenderError } from './inbound-routing';
import { FIND_ERASED_PROVIDER_IDS, REDACT_INBOUND_EVENT, STORE_INBOUND } from './store-inbound.sql';
import { eventKeyOf, type RawWebhook } from './webhook-request';

/** How many events one time-window replay processes; call again for the rest. */
const REPLAY_WINDOW_LIMIT = 500;
/** Runs of the store statement before a webhook that keeps racing others is kept as failed. */
const STORE_RUNS = 3;

/** What one run stored: the new messages, and receipts left waiting for their send's outcome. */
interface Stored {
  messages: InboundMessageReceived[];
  heldReceipts: ReceiptSubject[];
}

interface StoredRow {
  message_id: string | null;
  conversation_id: string;
  customer_id: string;
  channel: Channel;
}

/**
 * A race the store statement signalled (retry_statement), a deadlock, or a customer or
 * conversation it found that a concurrent erasure removed before it could insert under them
 * (foreign key violation): run it again, and the new run makes a new customer.
 */
function isRetryable(error: unknown): boolean {
  const code = (error as { driverError?: { code?: string } }).driverError?.code;
  return code === '40001' || code === '40P01' || code === '23503';
}

/**
 * The inbound use-cases. A verified webhook is kept raw in inbound_events in the same transaction
 * that stores what it carries and marks it processed (one statement, see store-inbound.sql.ts);
 * when that fails, it is kept raw with its error instead. So the 200 that follows means
 * stored-and-processed or stored-with-error, never lost. A failed event is processed again by a
 * replay or by the provider's redelivery of the same bytes.
 */
@Injectable()
export class InboundService {
  private readonly logger = new Logger(InboundService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(InboundEvent) private readonly events: Repository<InboundEvent>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly conversations: ConversationService,
    private readonly messages: MessageService,
    private readonly receipts: ReceiptService,
    private readonly messageEvents: InboundMessageEvents,
    private readonly sql: PreparedSql,
    private readonly attachments: AttachmentService,
    private readonly router: InboundRouter,
  ) {}

  /**
   * Keeps a verified webhook and stores what it carries. A payload of which nothing could be
   * read is kept too (failed, with its error, replayable) and answered 400 naming the problem;
   * one with unreadable parts stores the rest and is kept failed with the parts' errors. `route`
   * is what the signature guard found; the email webhook, authenticated alike for every mailbox,
   * is routed here.
   */
  async receiveWebhook(
    provider: InboundProvider,
    webhook: RawWebhook,
    route?: Route,
  ): Promise<InboundEvent> {
    const batch = this.parse(provider, webhook);
    const routed = route ?? (await this.routeStored(provider, webhook, null));
    const error = problemsOf(batch);
    const now = new Date();
    const event: InboundEvent = {
      id: newId(),
      provider,
      eventKey: eventKeyOf(provider, webhook),
      contentType: webhook.contentType,
      headers: webhook.headers,
      payload: webhook.payload,
      status: error ? 'failed' : 'processed',
      error,
      attempts: 1,
      createdAt: now,
      processedAt: now,
      subjectKeys: subjectKeysOf(batch),
      senderId: routed.sender?.id ?? null,
    };
    const kept =
      (await this.storeOrKeepFailed(event, batch, routed, 'intake', now)) ??
      (await this.redelivered(event));
    if (isUnreadable(batch) && kept.status !== 'processed') {
      throw new DomainError(
        'invalid_input',
        `${kept.error} (kept as inbound event ${kept.id}; replay it once this is handled)`,
      );
    }
    return kept;
  }

  private async redelivered(event: InboundEvent): Promise<InboundEvent> {
    const { provider, eventKey } = event;
    const earlier = await this.events.findOneByOrFail({ provider, eventKey });
    this.logger.log(
      { eventId: earlier.id, provider, status: earlier.status },
      'webhook redelivered',
    );
    // Identical bytes: already handled, unless the first try failed, which deserves another go.
    return earlier.status === 'failed' ? this.processEvent(earlier) : earlier;
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

  /** Failed events, and `received` ones (earlier versions kept events before processing). */
  async replayEvent(id: string): Promise<InboundEvent> {
    const event = await this.getEvent(id);
    if (event.status === 'processed') {
      throw new DomainError('invalid_state', `inbound event ${id} is already processed`);
    }
    return this.processEvent(event);
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
    for (const event of pending) replayed.push(await this.processEvent(event));
    return replayed;
  }

  private routeStored(
    provider: InboundProvider,
    raw: Pick<RawWebhook, 'contentType' | 'payload'>,
    webSenderId: string | null,
  ): Promise<Route> {
    return this.router.route(provider, decodeStored(raw.contentType, raw.payload), webSenderId);
  }

  /** An event kept earlier (failed, or `received` by an earlier version) processed again. */
  private async processEvent(event: InboundEvent): Promise<InboundEvent> {
    // Routed again: a sender added since (the number it was for) now takes it. A web event's
    // sender is named by its URL, which only the event's sender_id keeps.
    const route = await this.routeStored(
      event.provider,
      event,
      event.provider === 'web' ? event.senderId : null,
    );
    const batch = this.parse(event.provider, event);
    await this.storeOrKeepFailed(event, batch, route, 'replay', new Date());
    return this.getEvent(event.id);
  }

  /**
   * Stores the batch and marks its event processed, in one transaction; on failure keeps the event
   * raw with its error instead, so that the 200 that follows never means lost. Undefined when
   * there was nothing to do: the same bytes were already kept (intake), or the event was already
   * processed (replay).
   */
  private async storeOrKeepFailed(
    event: InboundEvent,
    batch: InboundBatch,
    route: Route,
    mode: 'intake' | 'replay',
    now: Date,
  ): Promise<InboundEvent | undefined> {
    const carries = batch.messages.length > 0 || batch.receipts.length > 0;
    // Nothing of it is stored: a message has no conversation without its sender, and a receipt
    // for a number not set up is not one we trust. A replay once the sender exists finishes it.
    if (carries && !route.sender) return this.keepFailed(event, mode, noSenderError(route.key));
    let stored: Stored | undefined;
    try {
      stored = await this.storeWithRetries(event, batch, route.sender?.id ?? null, mode, now);
    } catch (error) {
      // An outage, a deadlock, a timed-out statement or a full disk is not the event's fault:
      // answer 5xx so the provider sends it again, rather than 200 with an event someone has to
      // replay by hand.
      if (isDatabaseFault(error)) throw error;
      return this.keepFailed(event, mode, (error as Error).message ?? String(error));
    }
    if (!stored) return undefined;
    const summary = {
      eventId: event.id,
      provider: event.provider,
      stored: stored.messages.length,
      receipts: batch.receipts.length,
    };
    // At info the request's own line already says each webhook was answered, and the event is
    // kept in inbound_events: a second line per webhook cost about 5 % of the API's CPU on it.
    if (batch.problems.length === 0) this.logger.debug(summary, 'inbound event processed');
    else {
      this.logger.warn(
        { ...summary, problems: batch.problems.length },
        'inbound event kept failed: parts of it could not be read',
      );
    }
    for (const message of stored.messages) this.messageEvents.publish(message);
    await this.applyHeldReceipts(event, stored.heldReceipts);
    return event;
  }

  private async storeWithRetries(
    event: InboundEvent,
    batch: InboundBatch,
    senderId: string | null,
    mode: 'intake' | 'replay',
    now: Date,
  ): Promise<Stored | undefined> {
    for (let run = 1; ; run++) {
      try {
        return await this.store(event, batch, senderId, mode, now);
      } catch (error) {
        if (run >= STORE_RUNS || !isRetryable(error)) throw error;
      }
    }
  }

  /** One run of a STORE_INBOUND statement, with the batch's receipts in the same transaction. */
  private async store(
    event: InboundEvent,
    batch: InboundBatch,
    senderId: string | null,
    mode: 'intake' | 'replay',
    now: Date,
  ): Promise<Stored | undefined> {
    const one = batch.messages.length === 1;
    const statement = STORE_INBOUND[mode][one ? 'one' : 'many'];
    const columns = await this.messageColumns(batch.messages);
    const values = [
      ...(one ? columns.map(([value]) => value) : columns),
      now,
      event.id,
      ...(mode === 'intake'
        ? [
            event.provider,
            event.eventKey,
            event.contentType,
            JSON.stringify(event.headers),
            event.payload,
          ]
        : []),
      problemsOf(batch),
      ...(mode === 'intake' ? [event.subjectKeys] : []),
      senderId,
    ];
    const heldReceipts: ReceiptSubject[] = [];
    const files = await Promise.all(
      batch.messages.map((input) => this.attachments.keepInlineSources(input.attachments ?? [])),
    );
    const withFiles = files.some((sources) => sources.length > 0);
    let toFetch: string[] = [];
    const rows =
      batch.receipts.length === 0 && !withFiles
        ? await this.sql.rows<StoredRow>(statement, values)
        : await this.dataSource.transaction(async (manager) => {
            const stored: StoredRow[] = await manager.query(statement.text, values);
            if (stored.length > 0) {
              heldReceipts.push(...(await this.recordReceipts(event, batch, manager)));
            }
            if (withFiles) {
              toFetch = await this.attachments.recordInbound(
                manager,
                fileLinks(stored, columns[0] as string[], files),
              );
            }
            return stored;
          });
    await this.attachments.enqueueFetches(toFetch);
    if (rows.length === 0) return undefined;
    await this.redactErasedRepeats(event, batch, columns[0] as string[], rows);
    const messages = rows
      .filter((row) => row.message_id)
      .map((row) => ({
        messageId: row.message_id!,
        conversationId: row.conversation_id,
        customerId: row.customer_id,
        channel: row.channel,
      }));
    return { messages, heldReceipts };
  }

  /**
   * A provider's retry of a message an erasure removed is known by the provider id the erasure
   * kept, so nothing is stored again; the raw payload, which names the sender, is not kept either.
   * Only a batch some of whose messages were not stored (a repeat, which is rare) asks.
   */
  private async redactErasedRepeats(
    event: InboundEvent,
    batch: InboundBatch,
    messageIds: string[],
    rows: StoredRow[],
  ): Promise<void> {
    const stored = new Set(rows.map((row) => row.message_id));
    const repeats = batch.messages.filter(
      (message, i) => !stored.has(messageIds[i]) && message.providerMessageId,
    );
    if (repeats.length === 0) return;
    const erased = await this.dataSource.query(FIND_ERASED_PROVIDER_IDS, [
      repeats.map((message) => message.channel),
      repeats.map((message) => message.providerMessageId),
    ]);
    if (erased.length === 0) return;
    await this.dataSource.query(REDACT_INBOUND_EVENT, [event.id]);
    this.logger.log(
      { eventId: event.id, messages: erased.length },
      'repeat of an erased customer’s message: nothing stored, raw payload not kept',
    );
  }

  /**
   * Records the batch's receipts; returns those kept waiting for their send's outcome. A receipt
   * about an erased customer's message is not kept, nor the raw payload that names them.
   */
  private async recordReceipts(
    event: InboundEvent,
    batch: InboundBatch,
    manager: EntityManager,
  ): Promise<ReceiptSubject[]> {
    const erased = new Set(
      (
        (await manager.query(FIND_ERASED_PROVIDER_IDS, [
          batch.receipts.map((receipt) => receipt.channel),
          batch.receipts.map((receipt) => receipt.providerMessageId),
        ])) as { position: number }[]
      ).map((row) => row.position - 1),
    );
    if (erased.size > 0) {
      await manager.query(REDACT_INBOUND_EVENT, [event.id]);
      this.logger.log(
        { eventId: event.id, receipts: erased.size },
        'receipts about erased messages dropped; raw payload not kept',
      );
    }
    const held: ReceiptSubject[] = [];
    await this.receipts.lockTargets(batch.receipts, manager);
    for (const [index, receipt] of batch.receipts.entries()) {
      if (erased.has(index)) continue;
      const recorded = await this.receipts.recordReceipt(
        receipt,
        `${event.id}:${receipt.path}`,
        manager,
      );
      if (recorded.held) {
        held.push(
          recorded.messageId
            ? { messageId: recorded.messageId }
            : { channel: receipt.channel, providerMessageId: receipt.providerMessageId },
        );
      }
      if (!recorded.messageId) {
        this.logger.log(
          {
            eventId: event.id,
            channel: receipt.channel,
            providerMessageId: receipt.providerMessageId,
          },
          'receipt for a message not known yet: held until a send records its id',
        );
      }
    }
    return held;
  }

  /**
   * After the receipts' commit, in a new statement: a send outcome that committed meanwhile
   * found nothing held yet, so applying what it left falls to this side.
   */
  private async applyHeldReceipts(event: InboundEvent, held: ReceiptSubject[]): Promise<void> {
    for (const subject of held) {
      try {
        await this.receipts.applyHeldReceipts(subject);
      } catch (error) {
        // Still held, and applied by the next receipt for that message.
        this.logger.warn(
          { eventId: event.id, error: (error as Error).message },
          'held receipt not applied yet',
        );
      }
    }
  }

  /** The statement's per-message arrays ($1..$15), replies already matched to their thread. */
  private async messageColumns(inputs: InboundMessageInput[]): Promise<unknown[][]> {
    const threads = await Promise.all(inputs.map((input) => this.findThread(input)));
    const column = <T>(value: (input: InboundMessageInput, index: number) => T) =>
      inputs.map(value);
    const identity = (key: InboundCustomer['key']) =>
      column((input) => (input.sender.key === key ? input.sender.value : null));
    return [
      column(() => newId()),
      column((input) => input.channel),
      column((input) => input.providerMessageId),
      identity('phone'),
      identity('email'),
      identity('externalId'),
      column((input) => input.sender.name ?? null),
      column((input) => input.sender.email ?? null),
      column((input) => input.body),
      column((input) => input.subject),
      column((input) => JSON.stringify(input.metadata)),
      column((_, index) => threads[index]?.customerId ?? null),
      column((_, index) => (threads[index]?.status === 'open' ? threads[index]!.id : null)),
      column(() => newId()),
      column(() => newId()),
    ];
  }

  private async keepFailed(
    event: InboundEvent,
    mode: 'intake' | 'replay',
    reason: string,
  ): Promise<InboundEvent | undefined> {
    if (mode === 'intake') {
      const kept = await this.events
        .createQueryBuilder()
        .insert()
        .values({ ...event, status: 'failed', error: reason, processedAt: null })
        .orIgnore()
        .returning(['id'])
        .execute();
      // The same bytes were kept meanwhile by a concurrent delivery: that one speaks for both.
      if ((kept.raw as unknown[]).length === 0) return undefined;
    } else {
      await this.events
        .createQueryBuilder()
        .update()
        .set({ status: 'failed', error: reason, attempts: () => 'attempts + 1' })
        .where("id = :id AND status <> 'processed'", { id: event.id })
        .execute();
    }
    this.logger.warn({ eventId: event.id, error: reason }, 'inbound event failed; kept for replay');
    return mode === 'intake'
      ? { ...event, status: 'failed', error: reason, processedAt: null }
      : event;
  }

  /**
   * The conversation of the message this one answers. A reply joins that conversation's
   * customer even when it comes from another address (a colleague, an alias); a closed one is
   * not reopened: that customer's open conversation on the channel takes the reply instead.
   */
  private async findThread(input: InboundMessageInput): Promise<Conversation | null> {
    if (input.inReplyTo.length === 0) return null;
    const conversationId = await this.messages.findConversationIdByProviderMessageIds(
      input.channel,
      input.inReplyTo,
    );
    return conversationId ? this.conversations.getConversation(conversationId) : null;
  }

  /** What the payload carries; a payload that cannot be read at all is one problem. */
  private parse(
    provider: InboundProvider,
    raw: Pick<RawWebhook, 'contentType' | 'payload' | 'headers'>,
  ): InboundBatch {
    try {
      return parseInboundPayload(provider, raw.payload, {
        contentType: raw.contentType,
        headers: raw.headers,
        defaultCountry: this.config.defaultCountry,
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { messages: [], receipts: [], problems: [error.message] };
    }
  }
}

/** The event's error: every part that could not be read, or null. */
function problemsOf(batch: InboundBatch): string | null {
  return batch.problems.length > 0 ? batch.problems.join('; ') : null;
}

/** Whom and what the event is about, for erasure; null when parts of it could not be read. */
function subjectKeysOf(batch: InboundBatch): string[] | null {
  if (batch.problems.length > 0) return null;
  const keys = new Set<string>();
  for (const { channel, providerMessageId, sender } of batch.messages) {
    keys.add(subjectKey(sender.key, sender.value));
    if (sender.email) keys.add(subjectKey('email', sender.email));
    if (providerMessageId) keys.add(messageKey(channel, providerMessageId));
  }
  for (const receipt of batch.receipts)
    keys.add(messageKey(receipt.channel, receipt.providerMessageId));
  return [...keys];
}

function isUnreadable(batch: InboundBatch): boolean {
  return batch.problems.length > 0 && batch.messages.length === 0 && batch.receipts.length === 0;
}

/** Each newly stored message's files; `ids` are the message ids in batch order. */
function fileLinks(
  stored: StoredRow[],
  ids: string[],
  files: InboundAttachmentLinks['sources'][],
): InboundAttachmentLinks[] {
  return stored.flatMap((row) => {
    const index = row.message_id ? ids.indexOf(row.message_id) : -1;
    return index >= 0 && files[index].length > 0
      ? [{ messageId: row.message_id!, sources: files[index] }]
      : [];
  });
}
