import type { OutboundAttachment } from '../../attachments/attachment.service';
import type { Channel } from '../../conversation/channel';
import type { MessageTemplate } from '../../messaging/message.entity';

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

/** One port per channel; the delivery service picks the sender by `channel` and never by vendor. */
export interface ChannelSender {
  readonly channel: Channel;
  send(message: OutboundMessage): Promise<SendResult>;
}

/** Every sender registered in the worker, collected under one token. */
export const CHANNEL_SENDERS = Symbol('CHANNEL_SENDERS');
