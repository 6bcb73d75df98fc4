import { redactUrl } from './log-redaction';

describe('redactUrl', () => {
  it('keeps paths and harmless parameters', () => {
    expect(redactUrl('/api/messages?status=failed&limit=10')).toBe(
      '/api/messages?status=failed&limit=10',
    );
    expect(redactUrl('/api/customers/4f1c')).toBe('/api/customers/4f1c');
  });

  it('hides values that identify a person or authenticate', () => {
    expect(redactUrl('/api/customers?phone=%2B14155550100&email=a%40b.c')).toBe(
      '/api/customers?phone=[redacted]&email=[redacted]',
    );
    expect(
      redactUrl(
        '/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=1',
      ),
    ).toBe(
      '/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=[redacted]&hub.challenge=[redacted]',
    );
  });
});
