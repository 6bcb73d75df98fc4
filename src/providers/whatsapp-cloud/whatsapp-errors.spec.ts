import { SendError } from '../../shared/send-error';
import { classifyWhatsappError } from './whatsapp-errors';

const graph = (code: unknown, extra: Record<string, unknown> = {}) => ({
  error: { message: `(#${code}) Title`, type: 'OAuthException', code, ...extra },
});

describe('classifyWhatsappError', () => {
  // PROVIDERS.md §1.4, transient table; the HTTP status is what Meta usually sends with the code.
  it.each([
    [1, 400, undefined],
    [2, 503, undefined],
    [4, 400, 'channel'],
    [17, 400, 'channel'],
    [341, 400, 'channel'],
    [80007, 400, 'channel'],
    [130429, 400, 'channel'],
    [131000, 500, undefined],
    [131016, 503, undefined],
    [131048, 400, undefined],
    [131057, 400, undefined],
  ])('code %i (HTTP %i) is transient, rateLimited=%s', (code, status, rateLimited) => {
    const error = classifyWhatsappError(status, graph(code), 5_000);
    expect(error).toBeInstanceOf(SendError);
    expect(error).toMatchObject({
      kind: 'transient',
      providerCode: code,
      httpStatus: status,
      rateLimited,
      retryAfterMs: 5_000,
    });
  });

  it('131056 (pair rate limit) delays that recipient only, for at least 6 s', () => {
    expect(classifyWhatsappError(400, graph(131056))).toMatchObject({
      kind: 'transient',
      providerCode: 131056,
      rateLimited: 'recipient',
      retryAfterMs: 6_000,
    });
    expect(classifyWhatsappError(400, graph(131056), 20_000).retryAfterMs).toBe(20_000);
  });

  it('131049 (per-user marketing limit) is not retried, and last_error says when to try again', () => {
    const error = classifyWhatsappError(400, graph(131049));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 131049 });
    expect(error.message).toBe(
      'whatsapp error 131049: Title; not retried: Meta limits marketing messages per user; ' +
        'retry it no sooner than 24 h later',
    );
  });

  // PROVIDERS.md §1.4, permanent table; several arrive with 5xx-looking statuses from proxies.
  it.each([
    0, 3, 10, 100, 190, 200, 250, 299, 368, 131005, 131008, 131009, 131021, 131026, 131030, 131031,
    131042, 131045, 131047, 131050, 131051, 131052, 131053, 132000, 132001, 132005, 132007, 132008,
    132012, 132015, 132016, 133010,
  ])('code %i is permanent whatever the HTTP status', (code) => {
    expect(classifyWhatsappError(400, graph(code))).toMatchObject({
      kind: 'permanent',
      providerCode: code,
    });
    expect(classifyWhatsappError(503, graph(code))).toMatchObject({ kind: 'permanent' });
  });

  it('decides on the code, not the status: 130429 with HTTP 400 is still transient', () => {
    expect(classifyWhatsappError(400, graph(130429)).kind).toBe('transient');
  });

  it('accepts a numeric string code', () => {
    expect(classifyWhatsappError(400, graph('131026'))).toMatchObject({
      kind: 'permanent',
      providerCode: 131026,
    });
  });

  it.each([
    [500, 'transient'],
    [503, 'transient'],
    [400, 'permanent'],
    [404, 'permanent'],
  ] as const)('an unknown code falls back on HTTP %i: %s', (status, kind) => {
    expect(classifyWhatsappError(status, graph(987654))).toMatchObject({
      kind,
      providerCode: 987654,
      httpStatus: status,
    });
  });

  it('an unknown code with HTTP 429 is transient and rate limited', () => {
    expect(classifyWhatsappError(429, graph(987654), 2_000)).toMatchObject({
      kind: 'transient',
      rateLimited: 'channel',
      retryAfterMs: 2_000,
    });
  });

  it.each([
    [502, '<html>Bad Gateway</html>', 'transient'],
    [400, { unexpected: true }, 'permanent'],
    [500, null, 'transient'],
    [401, '', 'permanent'],
  ] as const)(
    'a body without a Graph error envelope falls back on HTTP %i',
    (status, body, kind) => {
      const error = classifyWhatsappError(status, body);
      expect(error).toMatchObject({ kind, httpStatus: status });
      expect(error.providerCode).toBeUndefined();
      expect(error.message).toBe(`whatsapp error: HTTP ${status}`);
    },
  );

  it('writes a message a person can read, with the details and the trace id', () => {
    const error = classifyWhatsappError(400, {
      error: {
        message: '(#131026) Message undeliverable',
        type: 'OAuthException',
        code: 131026,
        error_data: {
          messaging_product: 'whatsapp',
          details: 'Recipient is not a WhatsApp user',
        },
        fbtrace_id: 'Akf6LRk1j9htPAuzA5P971E',
      },
    });
    expect(error.message).toBe(
      'whatsapp error 131026: Message undeliverable (Recipient is not a WhatsApp user)' +
        ' [fbtrace_id Akf6LRk1j9htPAuzA5P971E]',
    );
  });

  it('does not repeat details that only restate the title', () => {
    const error = classifyWhatsappError(400, {
      error: { message: 'Rate limit hit', code: 130429, error_data: { details: 'Rate limit hit' } },
    });
    expect(error.message).toBe('whatsapp error 130429: Rate limit hit');
  });

  it('masks phone numbers and access tokens that a provider text might echo', () => {
    const error = classifyWhatsappError(400, {
      error: {
        message: '(#100) Invalid parameter',
        code: 100,
        error_data: {
          details: "Parameter 'to' +16505551234 is invalid for EAAGm0PX4ZCpsBAKZCZCwh0Zsd1ZAqZD",
        },
      },
    });
    expect(error.message).toBe(
      "whatsapp error 100: Invalid parameter (Parameter 'to' +*********34 is invalid for [redacted token])",
    );
  });
});
