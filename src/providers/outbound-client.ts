import type { Readable } from 'node:stream';
import type { Channel } from '../shared/channel';

/** What a sender needs to know of a message: ids and content, never an entity. */
export interface OutboundMessage {
  id: string;
  conversationId: string;
  channel: Channel;
  recipient: string;
  body: string | null;
  subject: string | null;
  template: MessageTemplate | null;
  createdAt: Date;
  /** Stored files in order, checked against the channel's limits when the message was accepted. */
  attachments: OutboundAttachment[];
}

export interface SendResult {
  /** The provider's id for the message (wamid, Twilio sid, email Message-ID, web event id). */
  providerMessageId: string;
  httpStatus?: number;
  /** Set by development stand-ins (the `log` mailer) so nobody mistakes them for delivery. */
  driver?: 'log';
}

/** One port per channel; the worker builds one per sender from its settings, never by vendor. */
export interface OutboundClient {
  readonly channel: Channel;
  send(message: OutboundMessage): Promise<SendResult>;
}

/** A stored file handed to a channel sender: its facts, its bytes on demand and a signed link. */
export interface OutboundAttachment {
  id: string;
  contentType: string;
  filename: string | null;
  size: number;
  sha256: string;
  open(): Promise<Readable>;
  signedUrl(): { url: string; expiresAt: Date };
}

export interface MessageTemplate {
  name: string;
  language: string;
  components?: object[];
}
