import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { ApiHarness, ApiResponse, startApi } from './api-harness';
import { sha256 } from './attachment-files';
import { closeDb, sql } from './db';
import { testEnv } from './test-env';

/** Webhook credentials for the test API; each provider signs with them as the real one would. */
export const INBOUND_ENV = {
  PUBLIC_BASE_URL: 'https://hooks.example.test',
  WHATSAPP_APP_SECRET: 'test-app-secret',
  WHATSAPP_VERIFY_TOKEN: 'test-verify-token',
  WHATSAPP_REPLY_WINDOW_HOURS: '0',
  SMS_API_URL: 'http://127.0.0.1:9/2010-04-01/Accounts/ACtest/Messages.json',
  TWILIO_ACCOUNT_SID: 'ACtest',
  TWILIO_AUTH_TOKEN: 'test-twilio-token',
  TWILIO_FROM_NUMBER: '+15017122661',
  EMAIL_WEBHOOK_SECRET: 'test-email-secret',
  // The config wants the outbound URL beside the secret; no worker runs here, so it is never called.
  WEB_WEBHOOK_URL: 'http://127.0.0.1:9/web-hook',
  WEB_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  MAIL_FROM_ADDRESS: 'help@shop.example',
};

export function fixture<T = any>(path: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', path), 'utf8'));
}

/** A number nobody else in the run uses, as WhatsApp writes it (no "+"). */
export function uniqueWaId(): string {
  return `1415${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
}

export function uniqueWamid(): string {
  return `wamid.${randomBytes(24).toString('base64')}`;
}

export function whatsappSignature(raw: string | Buffer, secret = INBOUND_ENV.WHATSAPP_APP_SECRET) {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

export function postWhatsapp(
  api: ApiHarness,
  payload: unknown,
  headers: Record<string, string> = {},
) {
  const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return api.request('POST', '/api/webhooks/whatsapp', raw, {
    'content-type': 'application/json',
    'x-hub-signature-256': whatsappSignature(raw),
    ...headers,
  });
}

/** The documented text message from another sender, id and text. */
export function whatsappText(fields: { from: string; id?: string; body?: string; name?: string }) {
  const payload = fixture('whatsapp/text-message.json');
  const value = payload.entry[0].changes[0].value;
  value.contacts[0] = { profile: { name: fields.name ?? 'Kerry Fisher' }, wa_id: fields.from };
  Object.assign(value.messages[0], {
    from: fields.from,
    id: fields.id ?? uniqueWamid(),
    text: { body: fields.body ?? 'Hello World' },
  });
  return payload;
}

/** A WhatsApp image message (the media id the Graph API stand-in serves `png` under). */
export function whatsappImage(from: string, mediaId: string, png: Buffer, caption?: string) {
  const payload = fixture('whatsapp/text-message.json');
  const value = payload.entry[0].changes[0].value;
  value.contacts[0] = { profile: { name: 'Kerry' }, wa_id: from };
  value.messages[0] = {
    from,
    id: uniqueWamid(),
    timestamp: String(Math.floor(Date.now() / 1000)),
    type: 'image',
    image: { id: mediaId, mime_type: 'image/png', sha256: sha256(png), caption },
  };
  return payload;
}

/** The documented status notification for one of our messages. */
export function whatsappStatus(id: string, status: string, timestamp: number, errors?: unknown[]) {
  const payload = fixture(
    status === 'failed' ? 'whatsapp/status-failed.json' : 'whatsapp/status-delivered.json',
  );
  const receipt = payload.entry[0].changes[0].value.statuses[0];
  Object.assign(receipt, { id, status, timestamp: String(timestamp) });
  if (errors) receipt.errors = errors;
  return payload;
}

export function twilioSignature(
  path: string,
  params: Record<string, string>,
  token = INBOUND_ENV.TWILIO_AUTH_TOKEN,
) {
  return getExpectedTwilioSignature(token, `${INBOUND_ENV.PUBLIC_BASE_URL}${path}`, params);
}

export function postTwilio(
  api: ApiHarness,
  path: '/api/webhooks/sms' | '/api/webhooks/sms/status',
  params: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return api.request('POST', path, new URLSearchParams(params).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': twilioSignature(path, params),
    ...headers,
  });
}

export function basicAuth(password = INBOUND_ENV.EMAIL_WEBHOOK_SECRET, user = 'sendgrid') {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** A SendGrid Inbound Parse request: the fields as multipart parts, plus attachment files. */
export async function sendgridForm(
  fields: Record<string, string>,
  files: Record<string, Blob> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const [name, file] of Object.entries(files)) form.append(name, file, `${name}.bin`);
  const request = new Request('http://form.invalid', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

export async function postSendgrid(
  api: ApiHarness,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  files: Record<string, Blob> = {},
) {
  const form = await sendgridForm(fields, files);
  return api.request('POST', '/api/webhooks/email', form.body, {
    'content-type': form.contentType,
    authorization: basicAuth(),
    ...headers,
  });
}

export function postEmailJson(
  api: ApiHarness,
  email: unknown,
  headers: Record<string, string> = {},
) {
  return api.request('POST', '/api/webhooks/email', email, {
    authorization: basicAuth(),
    ...headers,
  });
}

export function webHeaders(raw: string, options: { id?: string; at?: Date; secret?: string } = {}) {
  const id = options.id ?? `msg_${randomBytes(12).toString('hex')}`;
  const at = options.at ?? new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(options.secret ?? INBOUND_ENV.WEB_WEBHOOK_SECRET).sign(
      id,
      at,
      raw,
    ),
  };
}

export function postWeb(
  api: ApiHarness,
  payload: unknown,
  options: { id?: string; at?: Date; secret?: string; headers?: Record<string, string> } = {},
) {
  const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return api.request('POST', '/api/webhooks/web', raw, {
    ...webHeaders(raw, options),
    ...options.headers,
  });
}

/**
 * The real API with the inbound secrets, started before and closed after the enclosing describe
 * block. The returned handle delegates to the running harness, so tests keep `api.request(...)`.
 */
export function useInboundApi(overrides: Record<string, string> = {}): ApiHarness {
  let harness: ApiHarness;
  beforeAll(async () => {
    harness = await startApi(testEnv({ ...INBOUND_ENV, ...overrides }));
  });
  afterAll(async () => {
    await harness.close();
    await closeDb();
  });
  return {
    get app() {
      return harness.app;
    },
    get url() {
      return harness.url;
    },
    request: (...args) => harness.request(...args),
    close: () => harness.close(),
  };
}

/** How many raw webhooks have been kept, to prove a refused one stored nothing. */
export async function inboundEventCount(): Promise<number> {
  const [row] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM inbound_events');
  return row.n;
}

/**
 * A webhook the API must refuse: awaits the answer, checks its status and message (a RegExp is
 * matched, a string compared whole), and that no raw event was kept.
 */
export async function expectRefused(
  response: Promise<ApiResponse>,
  status: number,
  message: RegExp | string,
): Promise<ApiResponse> {
  const before = await inboundEventCount();
  const result = await response;
  expect(result.status).toBe(status);
  if (typeof message === 'string') expect(result.body.message).toBe(message);
  else expect(result.body.message).toMatch(message);
  expect(await inboundEventCount()).toBe(before);
  return result;
}

/**
 * A verified webhook of which nothing could be read: answered 400 naming the problem, and kept
 * raw as a failed event with that error, for a replay once it is handled.
 */
export async function expectKeptUnreadable(
  response: Promise<ApiResponse>,
  message: RegExp,
): Promise<{ id: string; error: string }> {
  const result = await response;
  expect(result.status).toBe(400);
  expect(result.body.message).toMatch(message);
  const id = /kept as inbound event ([0-9a-f-]{36})/.exec(result.body.message)?.[1];
  expect(id).toBeDefined();
  const [event] = await sql('SELECT id, status, error FROM inbound_events WHERE id = $1', [id]);
  expect(event.status).toBe('failed');
  expect(event.error).toMatch(message);
  return event;
}

/**
 * An outbound message as the worker leaves it after a successful send: created through the API,
 * then marked sent under the provider's id, so receipts and replies have something to find.
 */
export async function sentOutboundMessage(
  api: ApiHarness,
  conversationId: string,
  channel: string,
  providerMessageId: string,
  sentAt = new Date(),
): Promise<string> {
  const created = await api.request('POST', '/api/messages', {
    conversation_id: conversationId,
    direction: 'outbound',
    channel,
    body: 'Your order shipped',
  });
  if (created.status !== 202) throw new Error(`message not created: ${created.text}`);
  await sql(
    `UPDATE messages SET status = 'sent', provider_message_id = $2, sent_at = $3 WHERE id = $1`,
    [created.body.id, providerMessageId, sentAt],
  );
  return created.body.id;
}
