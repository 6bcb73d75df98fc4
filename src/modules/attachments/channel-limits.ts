import type { AttachmentLimits, FileFacts } from '../../providers/attachment-limits';
import { checkMmsAttachments } from '../../providers/twilio/mms-limits';
import { checkWhatsappAttachments } from '../../providers/whatsapp-cloud/whatsapp-media-limits';
import type { Channel } from '../../shared/channel';

/** Email and web take any file ATTACHMENT_MAX_BYTES allows. */
const CHANNEL_LIMITS: Partial<Record<Channel, AttachmentLimits>> = {
  whatsapp: checkWhatsappAttachments,
  sms: checkMmsAttachments,
};

/**
 * The channel's provider limits, checked when a message is accepted so that nothing is queued
 * that the provider would refuse.
 */
export function checkChannelLimits(channel: Channel, files: FileFacts[]): void {
  CHANNEL_LIMITS[channel]?.(files);
}
