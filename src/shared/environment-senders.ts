import type { Channel } from './channel';

/**
 * The built-in sender of each channel, made from the environment variables (WHATSAPP_*, TWILIO_*,
 * SMTP_*, WEB_WEBHOOK_*). Fixed ids, written by the senders migration, so that conversations from
 * before senders existed, and every process, name the same row. Stored: never change one.
 */
export const ENVIRONMENT_SENDER_IDS: Record<Channel, string> = {
  whatsapp: '00000000-0000-4000-8000-000000000001',
  sms: '00000000-0000-4000-8000-000000000002',
  email: '00000000-0000-4000-8000-000000000003',
  web: '00000000-0000-4000-8000-000000000004',
};
