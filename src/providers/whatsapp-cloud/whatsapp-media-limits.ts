import { DomainError } from '../../platform/errors/domain-error';
import { baseContentType, FileFacts, MB } from '../attachment-limits';

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

export function whatsappMediaType(contentType: string): WhatsappMediaType | undefined {
  return mediaFor(contentType)?.type;
}

function mediaFor(contentType: string) {
  return WHATSAPP_MEDIA.find((media) => media.contentTypes.includes(baseContentType(contentType)));
}

export function checkWhatsappAttachments(files: FileFacts[]): void {
  if (files.length > 1) {
    throw new DomainError(
      'invalid_input',
      'a WhatsApp message carries one attachment; send one message per file',
    );
  }
  for (const file of files) {
    const media = mediaFor(file.contentType);
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
