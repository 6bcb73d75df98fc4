import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { PreparedSql } from '../../platform/database/prepared-sql';
import { AppMetrics } from '../../platform/metrics/app-metrics';
import type { Channel } from '../../shared/channel';
import { EventLog } from '../events/event-log';
import { mapReceipt, ReceiptResponse } from './dto/receipt.dto';
import { MessageReceipt } from './message-receipt.entity';
import type { MessageStatus } from './message-status';
import { Message } from './message.entity';
import { MessageService } from './message.service';
import { receiptEffect, ReceiptTarget } from './receipt-effect';
import { HAS_HELD_RECEIPTS, TAKE_HELD_RECEIPTS } from './receipt-held.sql';
import { LOCK_RECEIPT_TARGETS } from './receipt-targets.sql';
import { IncomingReceipt } from '../../providers/inbound-batch';
import { ReceiptStatus } from '../../shared/receipt-status';

export interface RecordedReceipt {
  /** Null for a receipt about a message we do not know (yet). */
  messageId: string | null;
  /** Kept to be applied once the message's send outcome is recorded. */
  held: boolean;
  /** This source already recorded it (a replayed webhook): nothing was written. */
  duplicate: boolean;
}

/** Where a receipt points: our message id when the provider echoed it, else its provider id. */
export type ReceiptSubject =
  { messageId: string } | { channel: Channel; providerMessageId: string };

/** The send has not been answered yet: a receipt must wait for its outcome. */
const BEFORE_OUTCOME: readonly MessageStatus[] = ['queued', 'sending', 'retrying'];

/** Our message ids are UUIDs; anything else in the opaque field is not ours to look up. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface HeldRow {
  id: string;
  status: ReceiptStatus | null;
  error: string | null;
  at: Date;
}

/**
 * Receipts are kept as they arrive and applied to their outbound message once its send outcome
 * is recorded. One that overtakes the outcome (the provider is fast, our commit slow) is kept
 * `held`; recording the outcome applies what is held (DeliveryLedger.recordSent). Each side
 * writes, commits, then looks for the other in a new statement, so whichever commits second
 * sees the first: a receipt is never left held behind a recorded outcome.
 */
@Injectable()
export class ReceiptService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(MessageReceipt) private readonly receipts: Repository<MessageReceipt>,
    private readonly messages: MessageService,
    private readonly eventLog: EventLog,
    private readonly metrics: AppMetrics,
    private readonly sql: PreparedSql,
  ) {}

  /**
   * Locks every message a batch's receipts are about in id order, the order in which the
   * worker's claims and outcomes lock them too, before recordReceipt() takes them one by one in
   * the batch's order: otherwise two webhooks naming the same messages in different orders, or
   * a webhook and a batch of outcomes, can deadlock.
   */
  async lockTargets(receipts: IncomingReceipt[], manager: EntityManager): Promise<void> {
    if (receipts.length < 2) return;
    const refs = receipts.flatMap(({ messageRef }) =>
      messageRef && UUID.test(messageRef) ? [messageRef] : [],
    );
    await manager.query(LOCK_RECEIPT_TARGETS.text, [
      refs,
      receipts.map((receipt) => receipt.channel),
      receipts.map((receipt) => receipt.providerMessageId),
    ]);
  }

  /** Keeps the receipt, and applies it at once when its message's outcome is already known. */
  async recordReceipt(
    receipt: IncomingReceipt,
    sourceKey: string,
    manager: EntityManager,
  ): Promise<RecordedReceipt> {
    const message =
      (receipt.messageRef && UUID.test(receipt.messageRef)
        ? await this.lockMessage(manager, { messageId: receipt.messageRef }, receipt.channel)
        : null) ?? (await this.lockMessage(manager, receipt, receipt.channel));
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(MessageReceipt)
      .values({
        messageId: message?.id ?? null,
        channel: receipt.channel,
        providerMessageId: receipt.providerMessageId,
        providerStatus: receipt.providerStatus,
        status: receipt.status,
        providerTimestamp: receipt.providerTimestamp,
        errorCode: receipt.errorCode,
        error: receipt.error,
        statusChanged: false,
        held: receipt.status !== null,
        sourceKey,
        receivedAt: new Date(),
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    const duplicate = (inserted.raw as unknown[]).length === 0;
    const waits = !message || BEFORE_OUTCOME.includes(message.status);
    if (!duplicate && !waits) await this.applyHeld(manager, message);
    return {
      messageId: message?.id ?? null,
      held: !duplicate && waits && receipt.status !== null,
      duplicate,
    };
  }

  /**
   * Applies the receipts held for a message whose outcome is now recorded. Costs one indexed
   * probe when nothing is held, which is nearly always.
   */
  async applyHeldReceipts(subject: ReceiptSubject): Promise<void> {
    if ('messageId' in subject) return this.applyHeldReceiptsOf([subject.messageId]);
    await this.applyHeldNow(subject);
  }

  /** The same for many messages at once: one indexed probe for all of them. */
  async applyHeldReceiptsOf(messageIds: string[]): Promise<void> {
    if (messageIds.length === 0) return;
    const held = await this.sql.rows<{ id: string }>(HAS_HELD_RECEIPTS, [messageIds]);
    for (const { id } of held) await this.applyHeldNow({ messageId: id });
  }

  private async applyHeldNow(subject: ReceiptSubject): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const message = await this.lockMessage(
        manager,
        subject,
        'channel' in subject ? subject.channel : undefined,
      );
      if (message && !BEFORE_OUTCOME.includes(message.status)) {
        await this.applyHeld(manager, message);
      }
    });
  }

  /** Every receipt of a message, oldest first. */
  async listReceipts(messageId: string): Promise<ReceiptResponse[]> {
    await this.messages.getMessage(messageId);
    const receipts = await this.receipts.find({ where: { messageId }, order: { id: 'ASC' } });
    return receipts.map(mapReceipt);
  }

  /**
   * The outbound message a receipt is about, locked, so that two receipts racing for one
   * message cannot both move it from the same status.
   */
  private lockMessage(
    manager: EntityManager,
    subject: ReceiptSubject,
    channel: Channel | undefined,
  ): Promise<Message | null> {
    const query = manager
      .getRepository(Message)
      .createQueryBuilder('message')
      .setLock('pessimistic_write')
      .where("message.direction = 'outbound'");
    if (channel) query.andWhere('message.channel = :channel', { channel });
    if ('messageId' in subject) query.andWhere('message.id = :id', { id: subject.messageId });
    else query.andWhere('message.provider_message_id = :id', { id: subject.providerMessageId });
    return query.getOne();
  }

  /**
   * Folds every held receipt of the (locked) message into it, in arrival order: statuses only
   * move forward (receiptEffect), so the result is the same whatever order they overtook in.
   */
  private async applyHeld(manager: EntityManager, message: Message): Promise<void> {
    const held: HeldRow[] = await manager.query(TAKE_HELD_RECEIPTS.text, [
      message.id,
      message.channel,
      message.providerMessageId,
    ]);
    const before: ReceiptTarget = {
      status: message.status,
      sentAt: message.sentAt,
      deliveredAt: message.deliveredAt,
      readAt: message.readAt,
      failedAt: message.failedAt,
      lastError: message.lastError,
    };
    let after = before;
    const changedBy: string[] = [];
    for (const receipt of held) {
      const next = receiptEffect(after, receipt, receipt.at);
      if (next.status !== after.status) changedBy.push(receipt.id);
      after = next;
    }
    if (changedBy.length > 0) {
      await manager.update(MessageReceipt, changedBy, { statusChanged: true });
    }
    // A receipt repeating what is known (a second `sent`) changes nothing worth an event.
    if (JSON.stringify(after) === JSON.stringify(before)) return;
    await manager.update(Message, { id: message.id }, after);
    const updated = await manager.findOneByOrFail(Message, { id: message.id });
    await this.eventLog.append(manager, {
      type: 'message.updated',
      conversationId: updated.conversationId,
      previousStatus: before.status,
      data: await this.messages.describeMessage(updated),
    });
    if (after.status !== before.status) {
      this.metrics.messages.inc({
        channel: message.channel,
        direction: 'outbound',
        status: after.status,
      });
    }
  }
}
