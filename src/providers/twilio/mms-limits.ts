import { DomainError } from '../../platform/errors/domain-error';
import { baseContentType, FileFacts, MB } from '../attachment-limits';

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

export function checkMmsAttachments(files: FileFacts[]): void {
  if (files.length > MMS_MAX_FILES) {
    throw new DomainError('invalid_input', `an MMS carries at most ${MMS_MAX_FILES} attachments`);
  }
  for (const file of files) {
    if (!MMS_CONTENT_TYPES.some((pattern) => pattern.test(baseContentType(file.contentType)))) {
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
