import { randomBytes } from 'node:crypto';
import { ApiProcess, startApiProcess } from './support/api-process';
import { closeDb, sql } from './support/db';
import { uniquePhone } from './support/factories';
import { testEnv } from './support/test-env';

const ACCESS_TOKEN = `EAAG${randomBytes(24).toString('hex')}`;
const APP_SECRET = `appsecret-${randomBytes(12).toString('hex')}`;
const AUTH_TOKEN = `twilio-${randomBytes(16).toString('hex')}`;
const SMTP_PASSWORD = `smtp-${randomBytes(12).toString('hex')}`;
const SECRETS = [ACCESS_TOKEN, APP_SECRET, AUTH_TOKEN, SMTP_PASSWORD];

const phoneNumberId = () => String(100_000_000_000_000 + Math.floor(Math.random() * 1e12));

describe('Senders: /api/senders, secrets write-only and sealed, defaults, environment senders', () => {
  let api: ApiProcess;
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, text };
  };
  const whatsapp = (fields: Record<string, unknown> = {}) => ({
    channel: 'whatsapp',
    name: 'WhatsApp Brazil',
    config: {
      phone_number_id: phoneNumberId(),
      access_token: ACCESS_TOKEN,
      app_secret: APP_SECRET,
    },
    ...fields,
  });

  beforeAll(async () => {
    api = await startApiProcess(
      testEnv({
        LOG_LEVEL: 'debug',
        // The environment's WhatsApp sender, listed beside the API senders.
        WHATSAPP_API_URL: 'http://127.0.0.1:9/v23.0/555000111/messages',
        WHATSAPP_ACCESS_TOKEN: 'env-token-0123456789',
        WHATSAPP_APP_SECRET: 'env-app-secret',
      }),
    );
  });

  afterAll(async () => {
    await api?.stop();
    await sql(
      `DELETE FROM senders WHERE source = 'api' AND id NOT IN (SELECT sender_id FROM conversations)`,
    );
    await closeDb();
  });

  it('creates a sender: 201, secrets masked with their last 4 characters, config as given', async () => {
    const input = whatsapp();
    const created = await request('POST', '/api/senders', input);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      channel: 'whatsapp',
      name: 'WhatsApp Brazil',
      status: 'enabled',
      default: false,
      source: 'api',
      rate_limit_per_second: 80,
      last_success_at: null,
      last_error: null,
      last_error_at: null,
      config: {
        phone_number_id: input.config.phone_number_id,
        access_token: `••••${ACCESS_TOKEN.slice(-4)}`,
        app_secret: `••••${APP_SECRET.slice(-4)}`,
      },
    });
    const fetched = await request('GET', `/api/senders/${created.body.id}`);
    expect(fetched.body).toEqual(created.body);
  });

  it('refuses unknown, missing and malformed config fields, naming each', async () => {
    const unknown = await request(
      'POST',
      '/api/senders',
      whatsapp({
        config: {
          phone_number_id: phoneNumberId(),
          access_token: 'x',
          app_secret: 'y',
          token: 'z',
        },
      }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      expect.objectContaining({
        field: 'config.token',
        message: expect.stringContaining('not a whatsapp sender field'),
      }),
    ]);
    const missing = await request('POST', '/api/senders', {
      channel: 'sms',
      name: 'Twilio EU',
      config: { account_sid: 'AC' + 'a'.repeat(32) },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((error: { field: string }) => error.field)).toEqual([
      'config.auth_token',
    ]);
    const neither = await request('POST', '/api/senders', {
      channel: 'sms',
      name: 'Twilio EU',
      config: { account_sid: 'AC' + 'a'.repeat(32), auth_token: AUTH_TOKEN },
    });
    expect(neither.status).toBe(400);
    expect(neither.body.message).toMatch(/config.from or config.messaging_service_sid is required/);
    const badPort = await request('POST', '/api/senders', {
      channel: 'email',
      name: 'Support',
      config: { from_address: 'support@example.com', host: 'smtp.example.com', port: 'x' },
    });
    expect(badPort.status).toBe(400);
    expect(badPort.body.errors[0].field).toBe('config.port');
  });

  it('two senders cannot claim one WhatsApp number or one inbound address: 409', async () => {
    const first = await request('POST', '/api/senders', whatsapp());
    const again = await request(
      'POST',
      '/api/senders',
      whatsapp({ config: { ...first.body.config, access_token: 'a', app_secret: 'b' } }),
    );
    expect(again.status).toBe(409);
    const mailbox = {
      channel: 'email',
      name: 'Sales',
      config: {
        from_address: `sales-${randomBytes(3).toString('hex')}@example.com`,
        host: 'smtp.example.com',
        port: 587,
        username: 'sales',
        password: SMTP_PASSWORD,
      },
    };
    expect((await request('POST', '/api/senders', mailbox)).status).toBe(201);
    expect((await request('POST', '/api/senders', { ...mailbox, name: 'Sales 2' })).status).toBe(
      409,
    );
  });

  it('PATCH keeps a secret left out, replaces one given, and moves the default', async () => {
    const created = await request('POST', '/api/senders', whatsapp());
    const renamed = await request('PATCH', `/api/senders/${created.body.id}`, {
      name: 'WhatsApp Brasil',
      config: { access_token: `${ACCESS_TOKEN}-new1` },
      rate_limit_per_second: 5,
      default: true,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      name: 'WhatsApp Brasil',
      default: true,
      rate_limit_per_second: 5,
      config: { access_token: '••••new1', app_secret: `••••${APP_SECRET.slice(-4)}` },
    });
    const list = await request('GET', '/api/senders?channel=whatsapp&limit=200');
    const defaults = list.body.data.filter((sender: { default: boolean }) => sender.default);
    expect(defaults.map((sender: { id: string }) => sender.id)).toEqual([created.body.id]);
    // New conversations of the channel take it.
    const customer = await request('POST', '/api/customers', { phone: uniquePhone() });
    const conversation = await request('POST', '/api/conversations', {
      customer_id: customer.body.id,
      channel: 'whatsapp',
    });
    expect(conversation.body.sender_id).toBe(created.body.id);
    // Back to the environment's default.
    await request('PATCH', `/api/senders/${created.body.id}`, { default: false });
  });

  it('lists the environment sender, read-only, and every channel resolves a default', async () => {
    const list = await request('GET', '/api/senders?channel=whatsapp&limit=200');
    const environment = list.body.data.find(
      (sender: { source: string }) => sender.source === 'environment',
    );
    expect(environment).toMatchObject({
      id: '00000000-0000-4000-8000-000000000001',
      default: true,
      status: 'enabled',
      config: { phone_number_id: '555000111', access_token: '••••6789', app_secret: '••••cret' },
    });
    expect(
      (await request('PATCH', `/api/senders/${environment.id}`, { name: 'x' })).body.error,
    ).toBe('sender_read_only');
    expect((await request('DELETE', `/api/senders/${environment.id}`)).body.error).toBe(
      'sender_read_only',
    );
    // SMS is not configured here: its environment sender is not listed.
    const sms = await request('GET', '/api/senders?channel=sms&limit=200');
    expect(
      sms.body.data.filter((sender: { source: string }) => sender.source === 'environment'),
    ).toEqual([]);
  });

  it('conversations take a sender of their own channel only; a disabled sender refuses messages', async () => {
    const sender = (await request('POST', '/api/senders', whatsapp())).body;
    const customer = await request('POST', '/api/customers', { phone: uniquePhone() });
    const wrong = await request('POST', '/api/conversations', {
      customer_id: customer.body.id,
      channel: 'sms',
      sender_id: sender.id,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].field).toBe('sender_id');
    const conversation = await request('POST', '/api/conversations', {
      customer_id: customer.body.id,
      channel: 'whatsapp',
      sender_id: sender.id,
    });
    expect(conversation.status).toBe(201);
    expect(conversation.body.sender_id).toBe(sender.id);
    // One open conversation per customer, channel and sender: the environment sender gets its own.
    const other = await request('POST', '/api/conversations', {
      customer_id: customer.body.id,
      channel: 'whatsapp',
    });
    expect(other.status).toBe(201);
    expect(other.body.sender_id).toBe('00000000-0000-4000-8000-000000000001');

    const message = {
      conversation_id: conversation.body.id,
      direction: 'outbound',
      channel: 'whatsapp',
      template: { name: 'hello', language: 'en' },
    };
    const accepted = await request('POST', '/api/messages', message);
    expect(accepted.status).toBe(202);
    expect(accepted.body.sender_id).toBe(sender.id);
    await request('PATCH', `/api/senders/${sender.id}`, { status: 'disabled' });
    const refused = await request('POST', '/api/messages', message);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('sender_disabled');
    const inUse = await request('DELETE', `/api/senders/${sender.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error).toBe('sender_in_use');
  });

  it('deletes a sender no conversation uses', async () => {
    const sender = (await request('POST', '/api/senders', whatsapp())).body;
    expect((await request('DELETE', `/api/senders/${sender.id}`)).status).toBe(204);
    expect((await request('GET', `/api/senders/${sender.id}`)).status).toBe(404);
  });

  it('never shows a secret: not in answers, logs, events or any text column', async () => {
    await request('POST', '/api/senders', {
      channel: 'sms',
      name: 'Twilio US',
      config: {
        account_sid: 'AC' + randomBytes(16).toString('hex'),
        auth_token: AUTH_TOKEN,
        from: '+15005550006',
      },
    });
    const answers = (await request('GET', '/api/senders?limit=200')).text;
    const rows = await sql<{ text: string }>(
      `SELECT string_agg(t::text, ' ') AS text FROM (
         SELECT s::text AS t FROM senders s UNION ALL SELECT e.data::text FROM events e) all_rows`,
    );
    await api.stop();
    for (const secret of SECRETS) {
      expect(answers).not.toContain(secret);
      expect(rows[0].text).not.toContain(secret);
      expect(api.output()).not.toContain(secret);
    }
    // What is stored is sealed (AES-256-GCM, versioned, key named by its digest).
    const [sealed] = await sql<{ sealed_secrets: string }>(
      `SELECT sealed_secrets FROM senders WHERE source = 'api' LIMIT 1`,
    );
    expect(sealed.sealed_secrets).toMatch(/^v1\.[0-9a-f]{8}\./);
  });
});

describe('Senders without SENDER_SECRETS_KEY', () => {
  let api: ApiProcess;

  afterAll(async () => {
    await api?.stop();
    await closeDb();
  });

  it('answers 503 naming the variable', async () => {
    api = await startApiProcess(testEnv({ SENDER_SECRETS_KEY: undefined }));
    const response = await fetch(`${api.url}/api/senders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'web',
        name: 'Site',
        config: {
          url: 'https://example.com/hook',
          secret: 'whsec_' + randomBytes(24).toString('base64'),
        },
      }),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: 'service_unavailable',
      message: expect.stringContaining('SENDER_SECRETS_KEY'),
    });
  });
});

async function getSender(api: ApiProcess, id: string) {
  const response = await fetch(`${api.url}/api/senders/${id}`);
  return (await response.json()) as { config: Record<string, string> };
}

describe('Senders: rotating SENDER_SECRETS_KEY', () => {
  const processes: ApiProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const api = await startApiProcess(testEnv(env));
    processes.push(api);
    return api;
  };
  const keyIdOf = async (id: string) =>
    (
      await sql<{ sealed: string }>(`SELECT sealed_secrets AS sealed FROM senders WHERE id = $1`, [
        id,
      ])
    )[0].sealed.split('.')[1];

  afterAll(async () => {
    for (const api of processes) await api.stop();
    await sql(`DELETE FROM senders WHERE name = 'Rotation'`);
    await closeDb();
  });

  it('opens old seals with the previous key, seals them again at start, then needs only the new key', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const token = `EAAG-rotation-${randomBytes(8).toString('hex')}`;
    let api = await start({ SENDER_SECRETS_KEY: oldKey });
    const created = await fetch(`${api.url}/api/senders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'whatsapp',
        name: 'Rotation',
        config: {
          phone_number_id: phoneNumberId(),
          access_token: token,
          app_secret: 'app-secret-rotation',
        },
      }),
    }).then((response) => response.json() as Promise<{ id: string }>);
    const sealedBefore = await keyIdOf(created.id);
    await api.stop();

    api = await start({ SENDER_SECRETS_KEY: newKey, SENDER_SECRETS_KEY_PREVIOUS: oldKey });
    const during = await getSender(api, created.id);
    expect(during.config.access_token).toBe(`••••${token.slice(-4)}`);
    expect(await keyIdOf(created.id)).not.toBe(sealedBefore);
    await api.stop();

    api = await start({ SENDER_SECRETS_KEY: newKey });
    const after = await getSender(api, created.id);
    expect(after.config.access_token).toBe(`••••${token.slice(-4)}`);
  });
});
