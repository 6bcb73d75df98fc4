import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { idFloorAt } from '../../platform/database/new-id';
import { DomainError } from '../../platform/errors/domain-error';
import type { Channel } from '../../shared/channel';
import { identityKeys, messageKey } from '../customer/subject-keys';
import { EventLog } from '../events/event-log';
import { OutboundQueue } from '../messaging/outbound.queue';
import {
  DELETE_CONVERSATIONS_AND_CUSTOMER,
  DELETE_EVENTS,
  DELETE_INBOUND_EVENTS,
  FIND_EVENTS,
  FIND_INBOUND_EVENTS,
  FIND_UNKEYED_INBOUND_EVENTS,
  KEEP_ERASED_SENDS,
  LOCK_CONVERSATIONS,
  LOCK_CUSTOMER,
  LOCK_MESSAGES,
} from './customer-erasure.sql';
import type { ErasedCounts } from './dto/customer-data.dto';
import { LINKED_DATA_STORES, LinkedDataStore, removeLinked } from '../../shared/linked-data-store';
import { REMOVE_MESSAGES, RemovedMessages } from './remove-messages.sql';

const PENDING_STATUSES = new Set(['queued', 'sending', 'retrying']);
/** Identities shorter than this would match unrelated raw webhooks by accident. */
const MIN_NEEDLE_LENGTH = 6;
/** A webhook kept as failed and replayed later is older than the message it made. */
const RAW_EVENT_LEAD_MS = 7 * 24 * 3_600_000;
/** Raw webhooks without keys read per statement: well under a second of text search each. */
const UNKEYED_PAGE = 20_000;

interface LockedCustomer {
  id: string;
  phone: string | null;
  email: string | null;
  external_id: string | null;
  created_at: Date;
}

interface LockedMessage {
  id: string;
  channel: Channel;
  direction: 'inbound' | 'outbound';
  status: string;
  provider_message_id: string | null;
  created_at: Date;
}

/**
 * The right to erasure: one transaction removes the customer and everything stored about them,
 * then leaves a single `customer.erased` event with nothing but their id. Rows are removed rather
 * than blanked, so no column can be forgotten; the provider ids of their inbound messages stay
 * as bare dedup keys (see remove-messages.sql.ts).
 */
@Injectable()
export class CustomerErasureService {
  private readonly logger = new Logger(CustomerErasureService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LINKED_DATA_STORES) private readonly linkedStores: LinkedDataStore[],
    private readonly eventLog: EventLog,
    private readonly outboundQueue: OutboundQueue,
  ) {}

  async eraseCustomer(customerId: string): Promise<ErasedCounts> {
    const { counts, pending, afterCommit } = await this.dataSource.transaction((manager) =>
      this.eraseInTransaction(manager, customerId),
    );
    await afterCommit();
    await this.removeJobs(pending);
    this.logger.log({ customerId, erased: counts }, 'customer erased');
    return counts;
  }

  private async eraseInTransaction(manager: EntityManager, customerId: string) {
    const [customer] = (await manager.query(LOCK_CUSTOMER, [customerId])) as LockedCustomer[];
    if (!customer) throw DomainError.notFound('customer', customerId);
    const conversationIds = (
      (await manager.query(LOCK_CONVERSATIONS, [customerId])) as {
        id: string;
      }[]
    ).map((row) => row.id);
    const messages = (await manager.query(LOCK_MESSAGES, [conversationIds])) as LockedMessage[];
    const messageIds = messages.map((message) => message.id);

    const attachments = await removeLinked(this.linkedStores, manager, 'messages', messageIds);
    const [removed] = (await manager.query(REMOVE_MESSAGES, [messageIds])) as RemovedMessages[];
    const sent = messages.filter(
      (message) => message.direction === 'outbound' && message.provider_message_id,
    );
    await manager.query(KEEP_ERASED_SENDS, [
      sent.map((message) => message.channel),
      sent.map((message) => message.provider_message_id),
    ]);
    const inboundEvents = await this.eraseInboundEvents(manager, customer, messages, removed);
    const eventIds = (
      (await manager.query(FIND_EVENTS, [conversationIds, customerId])) as {
        id: string;
      }[]
    ).map((row) => row.id);
    const webhookDeliveries = await removeLinked(this.linkedStores, manager, 'events', eventIds);
    const [events] = await manager.query(DELETE_EVENTS, [eventIds]);
    const [conversations] = await manager.query(DELETE_CONVERSATIONS_AND_CUSTOMER, [customerId]);
    await this.eventLog.append(manager, {
      type: 'customer.erased',
      conversationId: null,
      data: { customer_id: customerId },
    });
    const counts: ErasedCounts = {
      conversations: conversations.removed,
      messages: removed.messages,
      attachments: attachments.removed,
      receipts: removed.receipts,
      inbound_events: inboundEvents,
      events: events.removed,
      webhook_deliveries: webhookDeliveries.removed,
    };
    return {
      counts,
      pending: messages.filter((message) => PENDING_STATUSES.has(message.status)),
      afterCommit: attachments.afterCommit,
    };
  }

  private async eraseInboundEvents(
    manager: EntityManager,
    customer: LockedCustomer,
    messages: LockedMessage[],
    removed: RemovedMessages,
  ): Promise<number> {
    const providerIds = messages
      .map((message) => message.provider_message_id)
      .filter((id): id is string => !!id && id.length >= MIN_NEEDLE_LENGTH);
    const identities = [
      customer.phone,
      customer.phone?.replace(/^\+/, ''),
      customer.email,
      customer.external_id?.toLowerCase(),
    ].filter((value): value is string => !!value && value.length >= MIN_NEEDLE_LENGTH);
    const firstTrace = Math.min(
      customer.created_at.getTime(),
      ...messages.map((message) => message.created_at.getTime()),
    );
    const keys = [
      ...identityKeys(customer),
      ...messages.flatMap((message) =>
        message.provider_message_id
          ? [messageKey(message.channel, message.provider_message_id)]
          : [],
      ),
    ];
    const keyed = (await manager.query(FIND_INBOUND_EVENTS, [keys, removed.receipt_sources])) as {
      id: string;
    }[];
    const found = new Set([
      ...keyed.map((event) => event.id),
      ...(await this.findUnkeyedInboundEvents(
        manager,
        idFloorAt(new Date(firstTrace - RAW_EVENT_LEAD_MS)),
        providerIds,
        identities,
      )),
    ]);
    if (found.size === 0) return 0;
    const [row] = await manager.query(DELETE_INBOUND_EVENTS, [[...found]]);
    return row.removed as number;
  }

  /** The raw webhooks without keys since `after` that mention the customer, page by page. */
  private async findUnkeyedInboundEvents(
    manager: EntityManager,
    after: string,
    providerIds: string[],
    identities: string[],
  ): Promise<string[]> {
    const found: string[] = [];
    for (let cursor: string | undefined = after; cursor;) {
      const rows = (await manager.query(FIND_UNKEYED_INBOUND_EVENTS, [
        cursor,
        providerIds,
        identities,
        UNKEYED_PAGE,
      ])) as { id: string; matched: boolean; last: boolean }[];
      found.push(...rows.filter((row) => row.matched).map((row) => row.id));
      cursor = rows.find((row) => row.last)?.id;
    }
    return found;
  }

  /**
   * Their rows are gone, so a job left behind would find nothing to send; removing the jobs also
   * clears them from Redis. A job being processed right now is locked and stays until it ends.
   */
  private async removeJobs(pending: LockedMessage[]): Promise<void> {
    for (const message of pending) {
      try {
        await this.outboundQueue.queueFor(message.channel).remove(message.id);
      } catch (error) {
        this.logger.warn(
          { messageId: message.id, reason: (error as Error).message },
          'could not remove the job of an erased message; it will find nothing to send',
        );
      }
    }
  }
}
