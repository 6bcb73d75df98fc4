import type { Channel } from '../../shared/channel';

// Persisted jobs hold these names: never rename one, add a new queue and drain the old instead.
export const OUTBOUND_QUEUE: Record<Channel, string> = {
  whatsapp: 'outbound-whatsapp',
  sms: 'outbound-sms',
  email: 'outbound-email',
  web: 'outbound-web',
};

export const SEND_MESSAGE_JOB = 'send-message';

/** The name of the backoff strategy the worker registers for OUTBOUND_RETRY_DELAYS_MS. */
export const OUTBOUND_BACKOFF = 'outbound-delays';

export interface SendMessageJob {
  messageId: string;
}

export const MEDIA_FETCH_QUEUE = 'attachment-fetch';
export const FETCH_MEDIA_JOB = 'fetch-media';

export interface FetchMediaJob {
  attachmentId: string;
}
