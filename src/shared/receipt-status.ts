export const RECEIPT_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;

export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];
