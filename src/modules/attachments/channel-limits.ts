import { DomainError } from '../../platform/errors/domain-error';
import type { Channel } from '../conversation/channel';

const MB = 1024 * 1024;

export type WhatsappMediaType = 'image' | 'video' | 'audio' | 'document';

/** What the Cloud API accepts for each media type it sends (stickers are not offered outbound). */
const WHATSAPP_MEDIA: { type: WhatsappMediaType; maxBytes: number; contentTypes: string[] }[] = [
  { type: 'image', maxBytes: 5 * MB, contentTypes: ['image/jpeg', 'image/png'] },
  { type: 'video', maxBytes: 16 * MB, contentTypes: ['video/mp4', 'video/3gpp'] },
  {
    type: 'audio',
    maxBytes: 16 * MB,
    contentTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
  },
  {
    type: 'document',
    maxBytes: 100 * MB,
    contentTypes: [
      'application/pdf',
      'text/plain',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
  },
];

/** Twilio MMS: every attachment together, and the content types Twilio accepts for MMS. */
const MMS_MAX_TOTAL_BYTES = 5 * MB;
const MMS_MAX_FILES = 10;
const MMS_CONTENT_TYPES = [
  /^image\//,
  /^audio\//,
  /^video\//,
  /^text\/(vcard|csv|rtf|richtext|calendar|directory)$/,
  /^application\/(pdf|vcard|vnd\.apple\.pkpass)$/,
];

export interface FileFacts {
  contentType: string;
  size: number;
}

export function whatsappMediaType(contentType: string): WhatsappMediaType | undefined {
  return WHATSAPP_MEDIA.find((media) => media.contentTypes.includes(baseType(contentType)))?.type;
}

/**
 * The channel's size and type limits, checked when a message is accepted so that nothing is
 * queued that the provider would refuse. Email and web take any file ATTACHMENT_MAX_BYTES allows.
 */
export function checkChannelLimits(channel: Channel, files: FileFacts[]): void {
  if (channel === 'whatsapp') return checkWhatsapp(files);
  if (channel === 'sms') return checkMms(files);
}

function checkWhatsapp(files: FileFacts[]): void {
  if (files.length > 1) {
    throw new DomainError(
      'invalid_input',
      'a WhatsApp message carries one attachment; send one message per file',
    );
  }
  for (const file of files) {
    const media = WHATSAPP_MEDIA.find((entry) =>
      entry.contentTypes.includes(baseType(file.contentType)),
    );
    if (!media) {
      throw new DomainError(
        'attachment_type_not_allowed',
        `WhatsApp does not send ${file.contentType}; allowed: ${WHATSAPP_MEDIA.flatMap((entry) => entry.contentTypes).join(', ')}`,
      );
    }
    if (file.size > media.maxBytes) {
      throw new DomainError(
        'attachment_too_large',
        `WhatsApp ${media.type} files are limited to ${media.maxBytes / MB} MB (${media.maxBytes} bytes); this one is ${file.size} bytes`,
      );
    }
  }
}

function checkMms(files: FileFacts[]): void {
  if (files.length > MMS_MAX_FILES) {
    throw new DomainError('invalid_input', `an MMS carries at most ${MMS_MAX_FILES} attachments`);
  }
  for (const file of files) {
    if (!MMS_CONTENT_TYPES.some((pattern) => pattern.test(baseType(file.contentType)))) {
      throw new DomainError(
        'attachment_type_not_allowed',
        `Twilio MMS does not send ${file.contentType}; send images, audio, video, PDF or vCard files`,
      );
    }
  }
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > MMS_MAX_TOTAL_BYTES) {
    throw new DomainError(
      'attachment_too_large',
      `Twilio MMS attachments are limited to 5 MB (${MMS_MAX_TOTAL_BYTES} bytes) in total; these are ${total} bytes`,
    );
  }
}

function baseType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}
