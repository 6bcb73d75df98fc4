/** Which webhook an event came through; it chooses the payload's parser. Stored: never rename. */
export const INBOUND_PROVIDERS = ['whatsapp', 'sms', 'sms_status', 'email', 'web'] as const;
export type InboundProvider = (typeof INBOUND_PROVIDERS)[number];
