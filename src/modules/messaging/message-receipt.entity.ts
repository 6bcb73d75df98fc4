import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Channel } from '../../shared/channel';
import { ReceiptStatus } from '../../shared/receipt-status';

/** A provider's delivery receipt as received, kept whether or not it moved the message. */
@Entity('message_receipts')
export class MessageReceipt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  /** Null when no message carried the provider id when the receipt arrived. */
  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId: string | null;

  @Column({ type: 'text' })
  channel: Channel;

  @Column({ name: 'provider_message_id', type: 'text' })
  providerMessageId: string;

  /** The provider's own word (`undelivered`, `queued`, …). */
  @Column({ name: 'provider_status', type: 'text' })
  providerStatus: string;

  /** What the receipt means for the message; null for statuses that move nothing (`queued`). */
  @Column({ type: 'text', nullable: true })
  status: ReceiptStatus | null;

  @Column({ name: 'provider_timestamp', type: 'timestamptz', nullable: true })
  providerTimestamp: Date | null;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'status_changed', type: 'boolean' })
  statusChanged: boolean;

  /**
   * Not applied yet: it arrived before its message's outcome was recorded (or before any message
   * carried its provider id). The outcome's recording applies it (ReceiptService).
   */
  @Column({ type: 'boolean', default: false })
  held: boolean;

  /** Where the receipt came from (webhook event and position): recording it twice is a no-op. */
  @Column({ name: 'source_key', type: 'text' })
  sourceKey: string;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;
}
