import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signedWebhookHeaders } from './webhook-signature';

describe('signedWebhookHeaders', () => {
  const body = JSON.stringify({ id: 'evt_1', seq: 1, type: 'message.created' });

  it('verifies with the standardwebhooks package', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = signedWebhookHeaders([secret], 'evt_1', new Date(), body);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with both secrets during a rotation, each verifying alone', () => {
    const [next, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signedWebhookHeaders([next, previous], 'evt_2', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(next).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });
});
