import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AppMetrics } from '../../platform/metrics/app-metrics';
import type { Channel } from '../conversation/channel';
import { EventLog } from '../events/event-log';
import { mapReceipt, ReceiptResponse } from './dto/receipt.dto';
import { MessageReceipt } from './message-receipt.entity';
import type { ReceiptStatus } from './message-status';
import { Message } from './message.entity';
import { MessageService } from './message.service';
import { receiptEffect } from './receipt-effect';

/** A delivery receipt as a provider webhook reports it, already mapped to our statuses. */
export interface IncomingReceipt {
  channel: Channel;
  providerMessageId: string;
  providerStatus: string;
  status: ReceiptStatus | null;
  providerTimestamp: Date | null;
  errorCode: string | null;
  error: string | null;
}

export interface RecordedReceipt {
  /** Null for a receipt about a message we do not know (yet). */
  messageId: string | null;
  statusChanged: boolean;
  /** This source already recorded it (a replayed webhook): nothing was written. */
  duplicate: boolean;
}

@Injectable()
export class ReceiptService {
  constructor(
    @InjectRepository(MessageReceipt) private readonly receipts: Repository<MessageReceipt>,
    private readonly messages: MessageService,
    private readonly eventLog: EventLog,
    private readonly metrics: AppMetrics,
  ) {}

  /**
   * Keeps the receipt and applies it to the outbound message with that provider id, under a row
   * lock so that two receipts racing for one message cannot both move it from the same status.
   */
  async recordReceipt(
    receipt: IncomingReceipt,
    sourceKey: string,
    manager: EntityManager,
  ): Promise<RecordedReceipt> {
    const message = await manager
      .getRepository(Message)
      .createQueryBuilder('message')
      .setLock('pessimistic_write')
      .where('message.channel = :channel', { channel: receipt.channel })
      .andWhere('message.provider_message_id = :id', { id: receipt.providerMessageId })
      .andWhere("message.direction = 'outbound'")
      .getOne();
    const before = message && {
      status: message.status,
      sentAt: message.sentAt,
      deliveredAt: message.deliveredAt,
      readAt: message.readAt,
      failedAt: message.failedAt,
      lastError: message.lastError,
    };
    const after = before && receiptEffect(before, receipt, receipt.providerTimestamp ?? new Date());
    const statusChanged = !!before && after!.status !== before.status;

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
        statusChanged,
        sourceKey,
        receivedAt: new Date(),
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    const duplicate = (inserted.raw as unknown[]).length === 0;
    if (!duplicate && message && after !== before) {
      await manager.update(Message, { id: message.id }, after!);
      // A receipt repeating what is known (a second `sent`) changes nothing worth an event.
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        const updated = await manager.findOneByOrFail(Message, { id: message.id });
        await this.eventLog.append(manager, {
          type: 'message.updated',
          conversationId: updated.conversationId,
          previousStatus: before!.status,
          data: await this.messages.describeMessage(updated),
        });
      }
    }
    if (statusChanged && !duplicate) {
      this.metrics.messages.inc({
        channel: receipt.channel,
        direction: 'outbound',
        status: after!.status,
      });
    }
    return {
      messageId: message?.id ?? null,
      statusChanged: statusChanged && !duplicate,
      duplicate,
    };
  }

  /** Every receipt of a message, oldest first. */
  async listReceipts(messageId: string): Promise<ReceiptResponse[]> {
    await this.messages.getMessage(messageId);
    const receipts = await this.receipts.find({ where: { messageId }, order: { id: 'ASC' } });
    return receipts.map(mapReceipt);
  }
}
