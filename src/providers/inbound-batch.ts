import type { JsonObject } from '../platform/database/json';
import type { InboundAttachmentSource } from './inbound-attachment';
import type { Channel } from '../shared/channel';
import { ReceiptStatus } from '../shared/receipt-status';

/** One message a provider delivered to us, in the shape every channel shares. */
export interface InboundMessageInput {
  /** Where the message sits in its payload, to name it in a problem. */
  path: string;
  channel: Channel;
  /** The provider's id (wamid, SM sid, Message-ID, …): a redelivery stores nothing new. */
  providerMessageId: string | null;
  sender: InboundCustomer;
  body: string | null;
  subject: string | null;
  metadata: JsonObject;
  /** Provider ids of earlier messages this one answers (email In-Reply-To, References). */
  inReplyTo: string[];
  /** Files the message carries; fetched by the worker or, for email, kept from the webhook. */
  attachments?: InboundAttachmentSource[];
}

/** A receipt and where it sits in its payload, which keys it across replays of the event. */
export interface InboundReceipt extends IncomingReceipt {
  path: string;
}

/**
 * What one webhook carries: a provider may batch messages and receipts together. `problems`
 * names each part that could not be read (with its path); the rest is still stored.
 */
export interface InboundBatch {
  messages: InboundMessageInput[];
  receipts: InboundReceipt[];
  problems: string[];
}

export interface ParseContext {
  contentType: string;
  headers: Record<string, string>;
  defaultCountry: string;
}

/** Who sent an inbound message: one identity (E.164 phone, lower-case email or external id). */
export interface InboundCustomer {
  key: 'phone' | 'email' | 'externalId';
  value: string;
  name?: string;
  /** A second address worth keeping on a new customer (the web channel's optional email). */
  email?: string;
}

/** A delivery receipt as a provider webhook reports it, already mapped to our statuses. */
export interface IncomingReceipt {
  channel: Channel;
  providerMessageId: string;
  /**
   * Our message id as the provider echoes it back (WhatsApp `biz_opaque_callback_data`): it
   * finds the message even before the send's answer, and so its provider id, is stored.
   */
  messageRef: string | null;
  providerStatus: string;
  status: ReceiptStatus | null;
  providerTimestamp: Date | null;
  errorCode: string | null;
  error: string | null;
}
