import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { ApiProcess, startApiProcess } from './support/api-process';
import { uniqueEmail, uniquePhone } from './support/factories';
import { uniqueWaId, whatsappSignature, whatsappText } from './support/inbound-webhooks';
import {
  OutboundStack,
  startOutboundStack,
  TWILIO_TOKEN,
  WHATSAPP_TOKEN,
} from './support/outbound-stack';
import { waitFor } from './support/wait-for';
import type { WorkerHarness } from './support/worker-harness';

const API_KEY = `ops-log-key-${randomBytes(8).toString('hex')}`;
const APP_SECRET = `ops-app-secret-${randomBytes(8).toString('hex')}`;
const VERIFY_TOKEN = `ops-verify-${randomBytes(8).toString('hex')}`;

describe('Operations: logs of a full send and receive hold no bodies, secrets or full numbers', () => {
  let stack: OutboundStack;
  let api: ApiProcess;
  let worker: WorkerHarness;

  const call = async (method: string, path: string, body?: unknown, headers = {}) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: safeJson(text) };
  };

  beforeAll(async () => {
    stack = await startOutboundStack(
      { WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN },
      { worker: false },
    );
    api = await startApiProcess({ ...stack.env, API_KEYS: API_KEY, LOG_LEVEL: 'debug' });
    worker = await stack.startWorker({ WORKER_LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await api?.stop();
    await stack.stop();
  });

  it('logs request ids, message ids and masked numbers only', async () => {
    const phone = uniquePhone();
    const email = uniqueEmail();
    const secrets: string[] = [API_KEY, APP_SECRET, VERIFY_TOKEN, WHATSAPP_TOKEN, TWILIO_TOKEN];
    const phones: string[] = [phone];

    // Outbound over WhatsApp and SMS, sent by the worker process.
    const customer = await call('POST', '/api/customers', { name: 'Log Test', phone, email });
    expect(customer.status).toBe(201);
    const sent: string[] = [];
    const bodies: string[] = [];
    for (const channel of ['whatsapp', 'sms', 'email']) {
      const conversation = await call('POST', '/api/conversations', {
        customer_id: customer.body.id,
        channel,
      });
      expect(conversation.status).toBe(201);
      const body = `outbound secret text ${randomBytes(6).toString('hex')}`;
      bodies.push(body);
      const message = await call('POST', '/api/messages', {
        conversation_id: conversation.body.id,
        direction: 'outbound',
        channel,
        body,
      });
      expect(message.status).toBe(202);
      sent.push(message.body.id);
    }
    for (const id of sent) {
      await waitFor(
        async () => (await call('GET', `/api/messages/${id}`)).body?.status === 'sent',
        `message ${id} to be sent`,
      );
    }

    // Inbound WhatsApp, signed as Meta signs it.
    const waId = uniqueWaId();
    phones.push(`+${waId}`);
    const inboundBody = `inbound secret text ${randomBytes(6).toString('hex')}`;
    bodies.push(inboundBody);
    const raw = JSON.stringify(whatsappText({ from: waId, body: inboundBody }));
    const signature = whatsappSignature(raw, APP_SECRET);
    secrets.push(signature.slice('sha256='.length));
    const whatsapp = await fetch(`${api.url}/api/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body: raw,
    });
    expect(whatsapp.status).toBe(200);

    // Inbound SMS, signed as Twilio signs it.
    const smsFrom = uniquePhone();
    phones.push(smsFrom);
    const smsBody = `sms secret text ${randomBytes(6).toString('hex')}`;
    bodies.push(smsBody);
    const params = {
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      AccountSid: 'AC00000000000000000000000000000001',
      From: smsFrom,
      To: '+15005550006',
      Body: smsBody,
      NumMedia: '0',
    };
    const twilioSignature = getExpectedTwilioSignature(
      TWILIO_TOKEN,
      `${stack.env.PUBLIC_BASE_URL}/api/webhooks/sms`,
      params,
    );
    secrets.push(twilioSignature);
    const sms = await fetch(`${api.url}/api/webhooks/sms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature,
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(sms.status).toBe(200);

    // Lookups that carry a phone number and a token in the query string, with our request id.
    const lookup = await call(
      'GET',
      `/api/customers?phone=${encodeURIComponent(phone)}`,
      undefined,
      {
        'x-request-id': 'ops-log-test-1',
      },
    );
    expect(lookup.status).toBe(200);
    expect(lookup.headers.get('x-request-id')).toBe('ops-log-test-1');
    const challenge = await fetch(
      `${api.url}/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`,
    );
    expect(await challenge.text()).toBe('42');

    // Stopping flushes both processes' logs.
    await waitFor(() => api.output().includes('"inbound event processed"'), 'inbound logs');
    await api.stop();
    await worker.stop();
    const apiLog = api.output();
    const workerLog = worker.output();
    const all = apiLog + workerLog;

    // The capture is real: structured JSON lines with ids.
    const lines = all.split('\n').filter((line) => line.trim());
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const entries = lines.map((line) => JSON.parse(line));
    for (const id of sent) {
      expect(entries).toContainEqual(
        expect.objectContaining({ process: 'worker', messageId: id, msg: 'message sent' }),
      );
    }
    expect(entries).toContainEqual(
      expect.objectContaining({ process: 'api', reqId: 'ops-log-test-1' }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ msg: 'request completed', req: expect.any(Object) }),
    );

    for (const body of bodies) expect(all).not.toContain(body);
    for (const secret of secrets) expect(all).not.toContain(secret);
    for (const number of phones) {
      const digits = number.replace(/\D/g, '');
      expect(all).not.toContain(digits);
      expect(all).not.toContain(digits.slice(-10));
      expect(all).not.toContain(encodeURIComponent(number));
    }
    expect(all).not.toContain(email);
  });
});

function safeJson(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
