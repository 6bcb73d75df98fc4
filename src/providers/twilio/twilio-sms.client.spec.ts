import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hang, json, useCaptureServer } from '../../../test/support/capture-server';
import type { SmsConfig } from '../../platform/config/app-config';
import type { OutboundMessage } from '../outbound-client';
import { createProviderHttp } from '../provider-http';
import { SendError } from '../../shared/send-error';
import { TwilioSmsClient } from './twilio-sms.client';

const ACCOUNT_SID = 'AC00000000000000000000000000000001';
const AUTH_TOKEN = 'twilio-auth-token';
const SID = 'SM0123456789abcdef0123456789abcdef';
const PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  id: '01930000-0000-7000-8000-000000000002',
  conversationId: '01930000-0000-7000-8000-0000000000c2',
  channel: 'sms',
  recipient: '+15558675310',
  body: 'Hello & welcome',
  subject: null,
  template: null,
  createdAt: new Date('2025-06-01T12:00:00Z'),
  attachments: [],
  ...overrides,
});

describe('TwilioSmsClient', () => {
  const { baseUrl, requests, reply } = useCaptureServer(
    json(201, { sid: SID, status: 'queued', error_code: null }),
  );

  const sender = (settings: Partial<SmsConfig> = {}, timeoutMs = 2_000) =>
    new TwilioSmsClient(
      {
        apiUrl: `${baseUrl()}${PATH}`,
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        fromNumber: '+15017122661',
        ...settings,
      },
      'https://hooks.example.com',
      createProviderHttp(timeoutMs),
    );

  it('POSTs a form with Basic auth and returns the sid', async () => {
    await expect(sender().send(message())).resolves.toEqual({
      providerMessageId: SID,
      httpStatus: 201,
    });

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(PATH);
    expect(request.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
    );
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(request.body))).toStrictEqual({
      To: '+15558675310',
      From: '+15017122661',
      Body: 'Hello & welcome',
      StatusCallback: 'https://hooks.example.com/api/webhooks/sms/status',
    });
  });

  it('uses the Messaging Service when there is no From number', async () => {
    await sender({ fromNumber: undefined, messagingServiceSid: 'MG123' }).send(message());

    const form = new URLSearchParams(requests[0].body);
    expect(form.get('MessagingServiceSid')).toBe('MG123');
    expect(form.has('From')).toBe(false);
  });

  it('treats 20429 as transient and rate limited, honouring an HTTP-date Retry-After', async () => {
    const retryAt = new Date(Date.now() + 60_000).toUTCString();
    reply(
      json(
        429,
        { code: 20429, message: 'Too Many Requests', status: 429 },
        { 'retry-after': retryAt },
      ),
    );

    const failure = sender().send(message());
    await expect(failure).rejects.toMatchObject({
      kind: 'transient',
      rateLimited: 'channel',
      providerCode: 20429,
      retryAfterMs: expect.any(Number),
    });
    const error = await failure.then(
      () => undefined,
      (rejection: unknown) => rejection as SendError,
    );
    expect(error?.retryAfterMs).toBeGreaterThan(55_000);
    expect(error?.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('fails an invalid number permanently, without the full number in the message', async () => {
    reply(
      json(400, {
        code: 21211,
        message: "The 'To' number +15558675310 is not a valid phone number.",
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      }),
    );

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'permanent',
      providerCode: 21211,
      httpStatus: 400,
      message: "twilio error 21211: The 'To' number +*********10 is not a valid phone number.",
    });
  });

  it('treats a 503 as transient', async () => {
    reply(json(503, { code: 20503, message: 'Service unavailable', status: 503 }));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'transient',
      httpStatus: 503,
    });
  });

  it('rejects a 2xx without a sid as transient', async () => {
    reply(json(201, { status: 'queued' }));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'transient',
      message: 'twilio: no message sid in response',
    });
  });

  it('times out on a server that never answers', async () => {
    reply(hang);

    await expect(sender({}, 200).send(message())).rejects.toMatchObject({
      kind: 'transient',
      message: 'twilio request timed out after 200 ms',
    });
  });

  it('treats a refused connection as transient', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const unreachable = new TwilioSmsClient(
      {
        apiUrl: `http://127.0.0.1:${port}${PATH}`,
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        fromNumber: '+15017122661',
      },
      'https://hooks.example.com',
      createProviderHttp(2_000),
    );
    await expect(unreachable.send(message())).rejects.toMatchObject({
      kind: 'transient',
      message: expect.stringMatching(/^twilio request failed: .*ECONNREFUSED/),
    });
  });
});
