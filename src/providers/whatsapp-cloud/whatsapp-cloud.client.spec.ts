import { hang, json, useCaptureServer } from '../../../test/support/capture-server';
import type { OutboundMessage } from '../outbound-client';
import { createProviderHttp } from '../provider-http';
import { SendError } from '../../shared/send-error';
import { WhatsappCloudClient } from './whatsapp-cloud.client';

const WAMID = 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA';
const TOKEN = 'EAAtest-access-token';

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  id: '01930000-0000-7000-8000-000000000001',
  conversationId: '01930000-0000-7000-8000-0000000000c1',
  channel: 'whatsapp',
  recipient: '+16505551234',
  body: 'Hello from the backend',
  subject: null,
  template: null,
  createdAt: new Date('2025-06-01T12:00:00Z'),
  attachments: [],
  ...overrides,
});

describe('WhatsappCloudClient', () => {
  const { baseUrl, requests, reply } = useCaptureServer(
    json(200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: '+16505551234', wa_id: '16505551234' }],
      messages: [{ id: WAMID }],
    }),
  );

  const sender = (timeoutMs = 2_000, path = '/v23.0/106540352242922/messages') =>
    new WhatsappCloudClient(
      { apiUrl: `${baseUrl()}${path}`, accessToken: TOKEN },
      createProviderHttp(timeoutMs),
    );

  it('POSTs a text message with the bearer token and returns the wamid', async () => {
    await expect(sender().send(message())).resolves.toEqual({
      providerMessageId: WAMID,
      httpStatus: 200,
    });

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v23.0/106540352242922/messages');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(request.body)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '16505551234',
      type: 'text',
      text: { preview_url: false, body: 'Hello from the backend' },
      biz_opaque_callback_data: '01930000-0000-7000-8000-000000000001',
    });
  });

  it('sends a template with its language and components', async () => {
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'John' }] }];
    await sender().send(
      message({ body: null, template: { name: 'order_update', language: 'en_US', components } }),
    );

    expect(JSON.parse(requests[0].body)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '16505551234',
      type: 'template',
      template: { name: 'order_update', language: { code: 'en_US' }, components },
      biz_opaque_callback_data: '01930000-0000-7000-8000-000000000001',
    });
  });

  it('leaves components out of a template that has none', async () => {
    await sender().send(message({ template: { name: 'hello_world', language: 'en_US' } }));

    expect(JSON.parse(requests[0].body).template).toStrictEqual({
      name: 'hello_world',
      language: { code: 'en_US' },
    });
  });

  it('classifies a Graph error by its code and keeps the details', async () => {
    reply(
      json(400, {
        error: {
          message: '(#131026) Message undeliverable',
          type: 'OAuthException',
          code: 131026,
          error_data: { messaging_product: 'whatsapp', details: 'Not a WhatsApp user' },
          fbtrace_id: 'Akf6LRk1j9htPAuzA5P971E',
        },
      }),
    );

    const failure = sender().send(message());
    await expect(failure).rejects.toBeInstanceOf(SendError);
    await expect(failure).rejects.toMatchObject({
      kind: 'permanent',
      providerCode: 131026,
      httpStatus: 400,
      message: expect.stringContaining(
        'whatsapp error 131026: Message undeliverable (Not a WhatsApp user)',
      ),
    });
  });

  it('treats throttling as transient, rate limited, with Retry-After', async () => {
    reply(
      json(
        400,
        { error: { message: '(#130429) Rate limit hit', code: 130429 } },
        { 'retry-after': '7' },
      ),
    );

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'transient',
      rateLimited: 'channel',
      retryAfterMs: 7_000,
      providerCode: 130429,
    });
  });

  it('never puts the access token in the error', async () => {
    reply(
      json(401, {
        error: { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 },
      }),
    );

    const error = await sender()
      .send(message())
      .then(
        () => undefined,
        (failure: unknown) => failure as SendError,
      );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 190 });
    expect(error?.message).not.toContain(TOKEN);
  });

  it('treats a 502 from a proxy as transient', async () => {
    reply((res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'transient',
      httpStatus: 502,
    });
  });

  it('rejects a 2xx without a message id as transient', async () => {
    reply(json(200, { messaging_product: 'whatsapp', messages: [] }));

    await expect(sender().send(message())).rejects.toMatchObject({
      kind: 'transient',
      message: 'whatsapp: no message id in response',
    });
  });

  it('times out on a server that never answers', async () => {
    reply(hang);

    await expect(sender(200).send(message())).rejects.toMatchObject({
      kind: 'transient',
      message: 'whatsapp request timed out after 200 ms',
    });
  });

  it('fails a message with neither body nor template without calling Meta', async () => {
    await expect(sender().send(message({ body: null }))).rejects.toMatchObject({
      kind: 'permanent',
    });
    expect(requests).toHaveLength(0);
  });
});
