import type { JsonObject } from '../../platform/database/json';
import type { InboundAttachmentSource } from '../attachments/inbound-attachment';
import type { Channel } from '../conversation/channel';
import type { InboundSender } from '../customer/customer.service';
import type { IncomingReceipt } from '../messaging/receipt.service';

/** One message a provider delivered to us, in the shape every channel shares. */
export interface InboundMessageInput {
  /** Where the message sits in its payload, to name it in a problem. */
  path: string;
  channel: Channel;
  /** The provider's id (wamid, SM sid, Message-ID, …): a redelivery stores nothing new. */
  providerMessageId: string | null;
  sender: InboundSender;
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
