import { DomainError } from '../../platform/errors/domain-error';
import { whatsappMediaType } from '../../providers/whatsapp-cloud/whatsapp-media-limits';
import { checkChannelLimits } from './channel-limits';

const MB = 1024 * 1024;

function refusal(run: () => void): DomainError {
  try {
    run();
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('checkChannelLimits', () => {
  it.each([
    ['image/png', 5 * MB, 'image'],
    ['image/jpeg; charset=binary', 5 * MB, 'image'],
    ['video/mp4', 16 * MB, 'video'],
    ['audio/ogg', 16 * MB, 'audio'],
    ['application/pdf', 100 * MB, 'document'],
  ])('takes a WhatsApp %s of exactly its limit (%d bytes) as %s', (contentType, size, type) => {
    expect(() => checkChannelLimits('whatsapp', [{ contentType, size }])).not.toThrow();
    expect(whatsappMediaType(contentType)).toBe(type);
  });

  it.each([
    ['image/png', 5 * MB + 1, 'WhatsApp image files are limited to 5 MB (5242880 bytes)'],
    ['video/mp4', 16 * MB + 1, 'WhatsApp video files are limited to 16 MB'],
    ['application/pdf', 100 * MB + 1, 'WhatsApp document files are limited to 100 MB'],
  ])('refuses a WhatsApp %s one byte over', (contentType, size, message) => {
    const error = refusal(() => checkChannelLimits('whatsapp', [{ contentType, size }]));
    expect(error.code).toBe('attachment_too_large');
    expect(error.message).toContain(message);
  });

  it('refuses types WhatsApp does not send, and more than one file', () => {
    const wrongType = refusal(() =>
      checkChannelLimits('whatsapp', [{ contentType: 'application/zip', size: 10 }]),
    );
    expect(wrongType.code).toBe('attachment_type_not_allowed');
    const two = refusal(() =>
      checkChannelLimits('whatsapp', [
        { contentType: 'image/png', size: 1 },
        { contentType: 'image/png', size: 1 },
      ]),
    );
    expect(two.code).toBe('invalid_input');
  });

  it('counts MMS files together against 5 MB and checks their types', () => {
    expect(() =>
      checkChannelLimits('sms', [
        { contentType: 'image/png', size: 3 * MB },
        { contentType: 'application/pdf', size: 2 * MB },
      ]),
    ).not.toThrow();
    const total = refusal(() =>
      checkChannelLimits('sms', [
        { contentType: 'image/png', size: 3 * MB },
        { contentType: 'image/gif', size: 2 * MB + 1 },
      ]),
    );
    expect(total.code).toBe('attachment_too_large');
    expect(total.message).toContain('5 MB (5242880 bytes) in total');
    const type = refusal(() =>
      checkChannelLimits('sms', [{ contentType: 'application/zip', size: 1 }]),
    );
    expect(type.code).toBe('attachment_type_not_allowed');
  });

  it('leaves email and web to ATTACHMENT_MAX_BYTES', () => {
    const files = [{ contentType: 'application/zip', size: 100 * MB }];
    expect(() => checkChannelLimits('email', files)).not.toThrow();
    expect(() => checkChannelLimits('web', files)).not.toThrow();
  });
});
