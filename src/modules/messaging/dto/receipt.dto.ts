import { ApiProperty } from '@nestjs/swagger';
import type { MessageReceipt } from '../message-receipt.entity';
import { ReceiptStatus, RECEIPT_STATUSES } from '../../../shared/receipt-status';

export class ReceiptResponse {
  /** The provider's status as received (`delivered`, `undelivered`, `queued`, …). */
  @ApiProperty({ description: "the provider's status as received", example: 'delivered' })
  status: string;
  /** Its meaning for the message, or null when it moves nothing. */
  @ApiProperty({
    enum: [...RECEIPT_STATUSES],
    nullable: true,
    description: 'its meaning for the message, or null when it moves nothing',
    example: 'delivered',
  })
  receipt_status: ReceiptStatus | null;
  @ApiProperty({ description: "whether it changed the message's status", example: true })
  status_changed: boolean;
  @ApiProperty({ example: 'SM0123456789abcdef0123456789abcdef' })
  provider_message_id: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2025-11-26T12:00:01.000Z',
  })
  provider_timestamp: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  error_code: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  error: string | null;
  @ApiProperty({ format: 'date-time', example: '2025-11-26T12:00:01.200Z' })
  received_at: string;
}

export function mapReceipt(receipt: MessageReceipt): ReceiptResponse {
  return {
    status: receipt.providerStatus,
    receipt_status: receipt.status,
    status_changed: receipt.statusChanged,
    provider_message_id: receipt.providerMessageId,
    provider_timestamp: receipt.providerTimestamp?.toISOString() ?? null,
    error_code: receipt.errorCode,
    error: receipt.error,
    received_at: receipt.receivedAt.toISOString(),
  };
}
