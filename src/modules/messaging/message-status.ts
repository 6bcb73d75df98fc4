import { ReceiptStatus } from '../../shared/receipt-status';
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'retrying',
  'sent',
  'delivered',
  'read',
  'failed',
  'expired',
  'received',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const DIRECTIONS = ['outbound', 'inbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Outbound messages a person may send again through POST /api/messages/:id/retry. */
export const RETRYABLE_STATUSES: readonly MessageStatus[] = ['failed', 'expired'];

/**
 * Provider receipts only ever move a message forward along sent → delivered → read; `failed`
 * ends a message that was not yet delivered. A late `sent` never overwrites `read`.
 */
const RECEIPT_RANK: Partial<Record<MessageStatus, number>> = {
  queued: 0,
  sending: 0,
  retrying: 0,
  sent: 1,
  delivered: 2,
  read: 3,
};

export function statusAfterReceipt(current: MessageStatus, receipt: ReceiptStatus): MessageStatus {
  const currentRank = RECEIPT_RANK[current];
  if (currentRank === undefined) return current;
  if (receipt === 'failed') return currentRank < RECEIPT_RANK.delivered! ? 'failed' : current;
  return RECEIPT_RANK[receipt]! > currentRank ? receipt : current;
}

/** Whether provider receipts still apply: an outbound message that is neither failed nor expired. */
export function acceptsReceipts(status: MessageStatus): boolean {
  return RECEIPT_RANK[status] !== undefined;
}
