import { Webhook } from 'standardwebhooks';
import { hang, status, useCaptureServer } from '../../../test/support/capture-server';
import type { OutboundMessage } from '../outbound-client';
import { createProviderHttp } from '../provider-http';
import { WebWebhookClient, standardWebhookHeaders } from './web-webhook.client';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  id: '01930000-0000-7000-8000-000000000004',
  conversationId: '01930000-0000-7000-8000-0000000000c4',
  channel: 'web',
  recipient: 'visitor-42',
  body: 'Héllo “web” ✓',
  subject: 'Order 12345',
  template: null,
  createdAt: new Date('2025-06-01T12:00:00Z'),
  attachments: [],
  ...overrides,
});

describe('standardWebhookHeaders', () => {
  it('reproduces the Standard Webhooks spec vector', () => {
    const headers = standardWebhookHeaders(
      new Webhook(SECRET),
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(headers).toStrictEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });
});

describe('WebWebhookClient', () => {
  const { baseUrl, requests, reply } = useCaptureServer(status(204));

  const sender = (timeoutMs = 2_000) =>
    new WebWebhookClient(
      { url: `${baseUrl()}/hooks/messages`, secret: SECRET },
      createProviderHttp(timeoutMs),
    );

  it('POSTs a signed message.created event that a Standard Webhooks receiver accepts', async () => {
    const before = Math.floor(Date.now() / 1000);
    await expect(sender().send(message())).resolves.toEqual({
      providerMessageId: '01930000-0000-7000-8000-000000000004',
      httpStatus: 204,
    });

    const [request] = requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/messages');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe('01930000-0000-7000-8000-000000000004');
    const timestamp = Number(request.headers['webhook-timestamp']);
    expect(Number.isInteger(timestamp)).toBe(true);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    // The receiver's check runs over the bytes that arrived, non-ASCII text included.
    const verified = new Webhook(SECRET).verify(request.body, {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
    expect(verified).toStrictEqual({
      type: 'message.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: {
        id: '01930000-0000-7000-8000-000000000004',
        conversation_id: '01930000-0000-7000-8000-0000000000c4',
        external_id: 'visitor-42',
        body: 'Héllo “web” ✓',
        subject: 'Order 12345',
        created_at: '2025-06-01T12:00:00.000Z',
        attachments: [],
      },
    });
  });

  it('keeps the webhook-id across retries of one message', async () => {
    reply(status(503));
    await expect(sender().send(message())).rejects.toMatchObject({ kind: 'transient' });
    reply(status(200));
    await sender().send(message());

    expect(requests.map((request) => request.headers['webhook-id'])).toEqual([
      '01930000-0000-7000-8000-000000000004',
      '01930000-0000-7000-8000-000000000004',
    ]);
  });

  it('treats 410 as a permanent "endpoint gone"', async () => {
    reply(status(410));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'permanent',
      httpStatus: 410,
      message: expect.stringContaining('endpoint gone'),
    });
  });

  it('does not follow a redirect and fails permanently', async () => {
    reply(status(301, { location: '/elsewhere' }));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'permanent',
      httpStatus: 301,
    });
    expect(requests).toHaveLength(1);
  });

  it.each([400, 401, 404, 422])('treats HTTP %i as permanent', async (code) => {
    reply(status(code));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'permanent',
      httpStatus: code,
    });
  });

  it('treats 429 as transient and rate limited, honouring Retry-After', async () => {
    reply(status(429, { 'retry-after': '30' }));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'transient',
      rateLimited: 'channel',
      retryAfterMs: 30_000,
    });
  });

  it.each([500, 502, 503, 504])('treats HTTP %i as transient', async (code) => {
    reply(status(code));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'transient',
      httpStatus: code,
      rateLimited: undefined,
    });
  });

  it('times out on an endpoint that never answers', async () => {
    reply(hang);

    await expect(sender(200).send(message())).rejects.toMatchObject({
      kind: 'transient',
      message: 'web webhook request timed out after 200 ms',
    });
  });
});
