import { hang, useCaptureServer } from '../../test/support/capture-server';
import {
  createProviderHttp,
  httpStatusError,
  maskPhoneNumbers,
  parseRetryAfter,
  requestFailure,
} from './provider-http';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it.each([
    ['0', 0],
    ['7', 7_000],
    [' 120 ', 120_000],
    [['3', '9'], 3_000],
    [5, 5_000],
  ])('reads delta-seconds %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', now)).toBe(30_000);
  });

  it('caps a Retry-After at 15 minutes', () => {
    expect(parseRetryAfter('86400', now)).toBe(900_000);
    expect(parseRetryAfter('900', now)).toBe(900_000);
    expect(parseRetryAfter('Mon, 02 Jun 2025 12:00:00 GMT', now)).toBe(900_000);
  });

  it('reads a date in the past as no wait at all', () => {
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:59:00 GMT', now)).toBe(0);
  });

  it.each([undefined, null, '', 'soon', '1.5', '-3', '1 day', 'Mon, 99 Foo 2025', {}, -1, NaN])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});

describe('httpStatusError', () => {
  it('429 is transient, rate limited and keeps Retry-After', () => {
    expect(httpStatusError(429, 'slow down', { retryAfterMs: 4_000 })).toMatchObject({
      kind: 'transient',
      rateLimited: 'channel',
      retryAfterMs: 4_000,
      httpStatus: 429,
      message: 'slow down',
    });
  });

  it.each([500, 502, 503, 504, 599])('%i is transient and not rate limited', (status) => {
    expect(httpStatusError(status, 'down')).toMatchObject({
      kind: 'transient',
      rateLimited: undefined,
    });
  });

  it.each([301, 400, 401, 403, 404, 408, 410, 422])('%i is permanent', (status) => {
    const error = httpStatusError(status, 'no', { providerCode: 'x', retryAfterMs: 1 });
    expect(error).toMatchObject({ kind: 'permanent', httpStatus: status, providerCode: 'x' });
    expect(error.retryAfterMs).toBeUndefined();
  });
});

describe('requestFailure', () => {
  it('reports a timeout with its length', () => {
    const error = requestFailure('whatsapp', {
      code: 'ETIMEDOUT',
      message: 'timeout of 200ms exceeded',
      config: { timeout: 200, headers: { Authorization: 'Bearer secret' } },
    });
    expect(error).toMatchObject({
      kind: 'transient',
      message: 'whatsapp request timed out after 200 ms',
    });
  });

  it('reports a network error by its cause, never by the request config', () => {
    const error = requestFailure('twilio', {
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:9',
      config: { auth: { password: 'secret' } },
    });
    expect(error).toMatchObject({
      kind: 'transient',
      message: 'twilio request failed: connect ECONNREFUSED 127.0.0.1:9',
    });
    expect(requestFailure('x', { code: 'ECONNRESET', message: 'socket hang up' }).message).toBe(
      'x request failed: ECONNRESET socket hang up',
    );
  });
});

describe('maskPhoneNumbers', () => {
  it.each([
    ['call +14155550100 now', 'call +*********00 now'],
    ['5551234567', '********67'],
    ['(415) 555-0100', '(***) ***-**00'],
    ['code 21211 and 1600 chars', 'code 21211 and 1600 chars'],
    ['MM0123456789abcdef', 'MM0123456789abcdef'],
  ])('%s → %s', (text, masked) => {
    expect(maskPhoneNumbers(text)).toBe(masked);
  });
});

describe('createProviderHttp', () => {
  const { baseUrl, requests } = useCaptureServer((res, req) => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/elsewhere' }).end();
    } else if (req.url === '/hang') {
      hang(res, req);
    } else {
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });

  it('reuses one connection across requests', async () => {
    const client = createProviderHttp(1_000);
    await client.get(`${baseUrl()}/a`);
    await client.get(`${baseUrl()}/b`);
    const remotePorts = requests.map((request) => request.remotePort);
    expect(remotePorts).toHaveLength(2);
    expect(remotePorts[1]).toBe(remotePorts[0]);
  });

  it('resolves with error statuses instead of throwing', async () => {
    const response = await createProviderHttp(1_000).get(`${baseUrl()}/fail`);
    expect(response.status).toBe(500);
    expect(response.data).toEqual({ ok: true });
  });

  it('does not follow redirects', async () => {
    const response = await createProviderHttp(1_000).get(`${baseUrl()}/redirect`);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/elsewhere');
  });

  it('gives up after the timeout with a timeout error', async () => {
    const failure = await createProviderHttp(200)
      .get(`${baseUrl()}/hang`)
      .then(
        () => undefined,
        (error: unknown) => requestFailure('test', error),
      );
    expect(failure).toMatchObject({
      kind: 'transient',
      message: 'test request timed out after 200 ms',
    });
  });
});
