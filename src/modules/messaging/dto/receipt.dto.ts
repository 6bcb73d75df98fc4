import type { MessageReceipt } from '../message-receipt.entity';
import type { ReceiptStatus } from '../message-status';

export interface ReceiptResponse {
  /** The provider's status as received (`delivered`, `undelivered`, `queued`, …). */
  status: string;
  /** Its meaning for the message, or null when it moves nothing. */
  receipt_status: ReceiptStatus | null;
  status_changed: boolean;
  provider_message_id: string;
  provider_timestamp: string | null;
  error_code: string | null;
  error: string | null;
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
