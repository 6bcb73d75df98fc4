import { receiptEffect, ReceiptTarget } from './receipt-effect';

const t = (minute: number) => new Date(Date.UTC(2025, 0, 1, 12, minute));
const sent: ReceiptTarget = {
  status: 'sent',
  sentAt: t(0),
  deliveredAt: null,
  readAt: null,
  failedAt: null,
  lastError: null,
};
const apply = (target: ReceiptTarget, ...receipts: [ReceiptTarget['status'] | null, number][]) =>
  receipts.reduce(
    (current, [status, minute]) =>
      receiptEffect(
        current,
        { status: status as never, error: status === 'failed' ? 'boom' : null },
        t(minute),
      ),
    target,
  );

describe('receiptEffect', () => {
  it('moves sent → delivered → read with each timestamp', () => {
    expect(apply(sent, ['delivered', 1], ['read', 2])).toEqual({
      ...sent,
      status: 'read',
      deliveredAt: t(1),
      readAt: t(2),
    });
  });

  it('keeps read when delivered arrives late, and takes its earlier timestamp', () => {
    const result = apply(sent, ['read', 2], ['delivered', 1]);
    expect(result).toMatchObject({ status: 'read', deliveredAt: t(1), readAt: t(2) });
  });

  it('lets read imply delivered when delivered never comes', () => {
    expect(apply(sent, ['read', 2])).toMatchObject({
      status: 'read',
      deliveredAt: t(2),
      readAt: t(2),
    });
  });

  it('never lets a late sent downgrade read', () => {
    const result = apply(sent, ['delivered', 1], ['read', 2], ['sent', 3]);
    expect(result).toMatchObject({ status: 'read', sentAt: t(0) });
  });

  it('fails an undelivered message and keeps the provider error', () => {
    expect(apply(sent, ['failed', 1])).toMatchObject({
      status: 'failed',
      failedAt: t(1),
      lastError: 'boom',
    });
  });

  it('ignores a failed receipt after delivery and any receipt after failure', () => {
    expect(apply(sent, ['delivered', 1], ['failed', 2])).toMatchObject({
      status: 'delivered',
      failedAt: null,
    });
    const failed = apply(sent, ['failed', 1]);
    expect(apply(failed, ['delivered', 2])).toBe(failed);
  });

  it('changes nothing for statuses that carry no meaning (queued, accepted)', () => {
    expect(apply(sent, [null, 1])).toBe(sent);
  });
});
