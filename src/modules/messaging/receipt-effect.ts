import { acceptsReceipts, MessageStatus, statusAfterReceipt } from './message-status';
import { ReceiptStatus } from '../../shared/receipt-status';

export interface ReceiptTarget {
  status: MessageStatus;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  lastError: string | null;
}

export interface ReceiptFacts {
  status: ReceiptStatus | null;
  error: string | null;
}

/**
 * What one receipt changes on a message. The status only moves forward (statusAfterReceipt);
 * each timestamp keeps the earliest time the provider reported for that state, and a later state
 * implies the earlier ones (Meta may skip `delivered` when `read` follows at once), so a `read`
 * that overtook its `delivered` still leaves both timestamps set.
 */
export function receiptEffect(
  target: ReceiptTarget,
  receipt: ReceiptFacts,
  at: Date,
): ReceiptTarget {
  if (receipt.status === null || !acceptsReceipts(target.status)) return target;
  const status = statusAfterReceipt(target.status, receipt.status);
  if (receipt.status === 'failed') {
    if (status !== 'failed') return target;
    return {
      ...target,
      status,
      failedAt: at,
      lastError: receipt.error ?? 'the provider reported failed',
    };
  }
  const earliest = (current: Date | null) => (current && current <= at ? current : at);
  const next = { ...target, status, sentAt: target.sentAt ?? at };
  if (receipt.status === 'delivered') next.deliveredAt = earliest(target.deliveredAt);
  if (receipt.status === 'read') {
    next.deliveredAt = target.deliveredAt ?? at;
    next.readAt = earliest(target.readAt);
  }
  return next;
}
