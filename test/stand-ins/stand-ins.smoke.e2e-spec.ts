import nodemailer from 'nodemailer';
import { Webhook } from 'standardwebhooks';
import { type SmtpStandIn, startSmtpStandIn } from './smtp-stand-in';
import { startTwilioStandIn, type TwilioStandIn, twilioError } from './twilio-stand-in';
import {
  newWebhookSecret,
  startWebWebhookStandIn,
  type WebWebhookStandIn,
} from './web-webhook-stand-in';
import { graphError, startWhatsappStandIn, type WhatsappStandIn } from './whatsapp-stand-in';

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    headers: response.headers,
  };
}

describe('WhatsApp stand-in', () => {
  const accessToken = 'wa-test-token';
  let whatsapp: WhatsappStandIn;
  const textMessage = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '+16505551234',
    type: 'text',
    text: { preview_url: false, body: 'Hello from the backend' },
  };
  const send = (message: unknown, token = accessToken, url = whatsapp.apiUrl) =>
    post(url, JSON.stringify(message), {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });

  beforeAll(async () => {
    whatsapp = await startWhatsappStandIn({ accessToken, phoneNumberId: '106540352242922' });
  });
  afterEach(() => whatsapp.reset());
  afterAll(() => whatsapp.close());

  it('accepts a text message, answers with a wamid and records the request', async () => {
    const response = await send(textMessage);

    expect(whatsapp.apiUrl).toBe(`${whatsapp.url}/v23.0/106540352242922/messages`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+16505551234', wa_id: '16505551234' }],
      messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/) }],
    });
    const [request] = await whatsapp.waitForAccepted(1);
    expect(request).toMatchObject({
      method: 'POST',
      path: '/v23.0/106540352242922/messages',
      json: textMessage,
      rawBody: JSON.stringify(textMessage),
    });
    expect(request.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(whatsapp.messageIds).toEqual([response.body.messages[0].id]);
  });

  it('accepts a template message', async () => {
    const response = await send({
      messaging_product: 'whatsapp',
      to: '16505551234',
      type: 'template',
      template: { name: 'order_update', language: { code: 'en_US' }, components: [] },
    });

    expect(response.status).toBe(200);
    expect(response.body.messages[0].message_status).toBe('accepted');
  });

  it('rejects a wrong access token with Graph error 190', async () => {
    const response = await send(textMessage, 'stale-token');

    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ code: 190, type: 'OAuthException' });
    expect(whatsapp.requests).toHaveLength(1);
    expect(whatsapp.accepted).toHaveLength(0);
  });

  it('rejects a wrong path with a Graph 404', async () => {
    const response = await send(textMessage, accessToken, `${whatsapp.url}/v23.0/999/messages`);

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe(100);
  });

  it.each([
    ['no messaging_product', { ...textMessage, messaging_product: undefined }],
    ['a malformed number', { ...textMessage, to: '+1 650-555' }],
    ['an empty text body', { ...textMessage, text: { body: '' } }],
    ['a template without language', { ...textMessage, type: 'template', template: { name: 'x' } }],
  ])('rejects a message with %s as invalid parameter 100', async (_case, message) => {
    const response = await send(message);

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 100, message: '(#100) Invalid parameter' });
    expect(response.body.error.error_data.details).toEqual(expect.any(String));
  });

  it('answers scripted failures in order, then succeeds', async () => {
    whatsapp.enqueue(graphError(131000, 'Something went wrong', 500));
    whatsapp.failNext(1, graphError(130429, 'Rate limit hit', 400));

    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await send(textMessage);
      statuses.push([response.status, response.body.error?.code]);
    }

    expect(statuses).toEqual([
      [500, 131000],
      [400, 130429],
      [200, undefined],
    ]);
    expect(whatsapp.accepted).toHaveLength(1);
  });

  it('answers a malformed request with the protocol error even when a failure is scripted', async () => {
    whatsapp.failNext(1, graphError(131026, 'Message undeliverable', 400));

    expect((await send(textMessage, 'stale-token')).status).toBe(401);
    expect((await send(textMessage)).body.error.code).toBe(131026);
  });

  it('hangs a scripted request until the client times out', async () => {
    whatsapp.enqueue({ status: 200, hang: true });

    await expect(
      fetch(whatsapp.apiUrl, {
        method: 'POST',
        body: JSON.stringify(textMessage),
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow(/timeout/i);
    expect(whatsapp.requests).toHaveLength(1);
    expect(whatsapp.accepted).toHaveLength(0);
  });

  it('delays every answer by setDelay', async () => {
    whatsapp.setDelay(100);
    const started = Date.now();

    await send(textMessage);

    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('says how many requests arrived when waitForAccepted times out', async () => {
    await send(textMessage, 'stale-token');

    await expect(whatsapp.waitForAccepted(1, 50)).rejects.toThrow(
      'WhatsApp stand-in: expected 1 accepted request(s) within 50 ms, got 0 (1 received, answered [401])',
    );
  });
});

describe('Twilio stand-in', () => {
  const accountSid = `AC${'0'.repeat(32)}`;
  const authToken = 'twilio-test-token';
  let twilio: TwilioStandIn;
  const send = (params: Record<string, string>, token = authToken) =>
    post(twilio.apiUrl, new URLSearchParams(params).toString(), {
      authorization: `Basic ${Buffer.from(`${accountSid}:${token}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    });
  const sms = { To: '+15558675310', From: '+15017122661', Body: 'Hello' };

  beforeAll(async () => {
    twilio = await startTwilioStandIn({ accountSid, authToken });
  });
  afterEach(() => twilio.reset());
  afterAll(() => twilio.close());

  it('accepts a form-encoded message and answers 201 with an SM sid', async () => {
    const response = await send({ ...sms, StatusCallback: 'https://example.com/status' });

    expect(twilio.apiUrl).toBe(`${twilio.url}/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      account_sid: accountSid,
      to: '+15558675310',
      from: '+15017122661',
      status: 'queued',
    });
    const [request] = await twilio.waitForAccepted(1);
    expect(request.form).toEqual({ ...sms, StatusCallback: 'https://example.com/status' });
    expect(twilio.sids).toEqual([response.body.sid]);
  });

  it('rejects wrong credentials with 20003', async () => {
    const response = await send(sms, 'wrong-token');

    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  });

  it.each([
    ['To', { From: sms.From, Body: sms.Body }, 21604],
    ['From and MessagingServiceSid', { To: sms.To, Body: sms.Body }, 21603],
    ['Body', { To: sms.To, From: sms.From }, 21602],
  ])('rejects a message without %s', async (_missing, params, code) => {
    const response = await send(params);

    expect(response.status).toBe(400);
    expect(response.body.code).toBe(code);
  });

  it('answers a scripted 429 with its Retry-After, then succeeds', async () => {
    twilio.failNext(1, twilioError(20429, 'Too Many Requests', 429, { 'retry-after': '2' }));

    const throttled = await send(sms);
    const retried = await send(sms);

    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(throttled.body.code).toBe(20429);
    expect(retried.status).toBe(201);
  });
});

describe('web webhook stand-in', () => {
  const secret = newWebhookSecret();
  let web: WebWebhookStandIn;
  const payload = JSON.stringify({
    type: 'message.delivered',
    timestamp: new Date().toISOString(),
  });
  const signedHeaders = (body: string) => {
    const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const now = new Date();
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, now, body),
    };
  };

  beforeAll(async () => {
    web = await startWebWebhookStandIn({ secret });
  });
  afterEach(() => web.reset());
  afterAll(() => web.close());

  it('makes whsec_ secrets of 32 random bytes', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('accepts a correctly signed event', async () => {
    const response = await post(`${web.url}/hooks/acme`, payload, signedHeaders(payload));

    expect(response.status).toBe(204);
    const [request] = await web.waitForAccepted(1);
    expect(request.path).toBe('/hooks/acme');
    expect(request.json).toEqual(JSON.parse(payload));
  });

  it('rejects a body that differs from the signed one', async () => {
    const tampered = payload.replace('delivered', 'failed');

    const response = await post(web.url, tampered, signedHeaders(payload));

    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/signature/);
    expect(web.accepted).toHaveLength(0);
  });

  it('rejects an unsigned request', async () => {
    const response = await post(web.url, payload, { 'content-type': 'application/json' });

    expect(response.status).toBe(401);
  });
});

describe('SMTP stand-in', () => {
  let smtp: SmtpStandIn;
  const transport = () =>
    nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false });
  const mail = {
    from: 'messages@omnichannel.test',
    to: 'kerry@example.com',
    subject: 'Your order shipped',
    text: 'It is on its way.',
    messageId: '<msg-42@omnichannel.test>',
  };

  beforeAll(async () => {
    smtp = await startSmtpStandIn();
  });
  afterEach(() => smtp.reset());
  afterAll(() => smtp.close());

  it('receives and parses a message sent by nodemailer', async () => {
    await transport().sendMail(mail);

    const [received] = await smtp.waitForMessages(1);
    expect(received.envelope).toEqual({ from: mail.from, to: [mail.to] });
    expect(received.parsed.subject).toBe(mail.subject);
    expect(received.parsed.text?.trim()).toBe(mail.text);
    expect(received.parsed.messageId).toBe(mail.messageId);
    expect(received.raw).toContain('Message-ID: <msg-42@omnichannel.test>');
  });

  it('fails the next DATA with the scripted transient code, then accepts', async () => {
    smtp.failNext(1, { code: 451 });

    await expect(transport().sendMail(mail)).rejects.toMatchObject({ responseCode: 451 });
    await transport().sendMail(mail);
    expect(smtp.messages).toHaveLength(1);
  });

  it('can reject the recipient permanently instead', async () => {
    smtp.failNext(1, { code: 550, message: 'No such user', stage: 'rcpt' });

    await expect(transport().sendMail(mail)).rejects.toMatchObject({ responseCode: 550 });
    expect(smtp.messages).toHaveLength(0);
  });

  it('requires AUTH when started with credentials', async () => {
    const auth = { user: 'mailer', pass: 'mail-secret' };
    const authenticated = await startSmtpStandIn({ auth });
    const send = (pass: string) =>
      nodemailer
        .createTransport({
          host: authenticated.host,
          port: authenticated.port,
          secure: false,
          auth: { user: auth.user, pass },
        })
        .sendMail(mail);

    try {
      await expect(send('wrong')).rejects.toMatchObject({ responseCode: 535 });
      await send(auth.pass);
      expect(authenticated.messages).toHaveLength(1);
    } finally {
      await authenticated.close();
    }
  });
});
