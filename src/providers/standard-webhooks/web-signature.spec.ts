import { webSignatureProblem } from './web-signature';

describe('webSignatureProblem (Standard Webhooks vector, PROVIDERS.md §5)', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = '{"test": 2432232314}';
  const headers = {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };

  afterEach(() => jest.useRealTimers());
  const at = (seconds: number) => jest.useFakeTimers({ now: seconds * 1000 });

  it('accepts the spec vector at its own time, also among rotated signatures', () => {
    at(1614265330);
    expect(webSignatureProblem(secret, body, headers)).toBeNull();
    const rotated = {
      ...headers,
      'webhook-signature': `v1,bm90IGl0 ${headers['webhook-signature']}`,
    };
    expect(webSignatureProblem(secret, body, rotated)).toBeNull();
  });

  it('rejects a stale or future timestamp (5 minute tolerance)', () => {
    at(1614265330 + 301);
    expect(webSignatureProblem(secret, body, headers)).toMatch(/too old/);
    at(1614265330 - 301);
    expect(webSignatureProblem(secret, body, headers)).toMatch(/too new/);
  });

  it('rejects another body, another secret and missing headers', () => {
    at(1614265330);
    expect(webSignatureProblem(secret, '{"test":2432232314}', headers)).toMatch(/signature/);
    expect(webSignatureProblem('whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=', body, headers)).toMatch(
      /signature/,
    );
    expect(webSignatureProblem(secret, body, { ...headers, 'webhook-signature': undefined })).toBe(
      'webhook-signature missing',
    );
  });
});
