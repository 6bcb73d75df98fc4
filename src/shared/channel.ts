export const CHANNELS = ['whatsapp', 'sms', 'email', 'web'] as const;
export type Channel = (typeof CHANNELS)[number];
