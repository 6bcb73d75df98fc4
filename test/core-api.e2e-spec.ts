import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ApiHarness, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import { createConversation, createCustomer, uniqueEmail, uniquePhone } from './support/factories';
import { outboundQueue } from './support/queues';
import { testEnv } from './support/test-env';

describe('Core REST API (real Postgres and Redis)', () => {
  const env = testEnv({ WHATSAPP_REPLY_WINDOW_HOURS: '0' });
  let api: ApiHarness;
  const queues = (['whatsapp', 'sms', 'email', 'web'] as const).map((c) => outboundQueue(env, c));

  beforeAll(async () => {
    api = await startApi(env);
  });

  afterAll(async () => {
    await api.close();
    await Promise.all(
      queues.map((queue) => queue.obliterate({ force: true }).then(() => queue.close())),
    );
    await closeDb();
  });

  it('creates customer → conversation → outbound message: 202 queued, one job under the message id', async () => {
    const customer = await createCustomer(api);
    const conversation = await createConversation(api, 'sms', { customer_id: customer.id });
    expect(conversation).toMatchObject({
      customer_id: customer.id,
      channel: 'sms',
      status: 'open',
    });

    const created = await api.request('POST', '/api/messages', {
      conversation_id: conversation.id,
      direction: 'outbound',
      channel: 'sms',
      body: 'Your order has shipped',
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      conversation_id: conversation.id,
      customer_id: customer.id,
      direction: 'outbound',
      status: 'queued',
      priority: 'normal',
      attempt_count: 0,
    });

    const job = await queues[1].getJob(created.body.id);
    expect(job?.data).toEqual({ messageId: created.body.id });

    const fetched = await api.request('GET', `/api/messages/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
    const [row] = await sql('SELECT recipient, status FROM messages WHERE id = $1', [
      created.body.id,
    ]);
    expect(row).toEqual({ recipient: customer.phone, status: 'queued' });
  });

  it('stores an inbound message as received (201) and enqueues nothing', async () => {
    const conversation = await createConversation(api, 'web');
    const created = await api.request('POST', '/api/messages', {
      conversation_id: conversation.id,
      direction: 'inbound',
      channel: 'web',
      body: 'Hello, is anyone there?',
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('received');
    expect(await queues[3].getJob(created.body.id)).toBeUndefined();
    const updated = await api.request('GET', `/api/conversations/${conversation.id}`);
    expect(updated.body.last_message_at).toBe(created.body.created_at);
  });

  describe('customers', () => {
    it('normalizes national, international and provider-style phone numbers to E.164', async () => {
      const digits = uniquePhone().slice(2); // 10 digits, US
      const [area, exchange, line] = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)];
      const spellings = [
        `(${area}) ${exchange}-${line}`,
        `+1 ${area} ${exchange} ${line}`,
        `1${digits}`,
      ];
      const created = await api.request('POST', '/api/customers', { phone: spellings[0] });
      expect(created.status).toBe(201);
      expect(created.body.phone).toBe(`+1${digits}`);
      for (const spelling of spellings) {
        const found = await api.request(
          'GET',
          `/api/customers?phone=${encodeURIComponent(spelling)}`,
        );
        expect(found.body.data.map((c: any) => c.id)).toEqual([created.body.id]);
      }
      const british = await api.request('POST', '/api/customers', {
        phone: `+44 7911 ${digits.slice(4)}`,
      });
      expect(british.body.phone).toBe(`+447911${digits.slice(4)}`);
    });

    it.each(['not a phone', '123', '+1 555', '☎️ 415 555 0100'])(
      'rejects junk phone %p with 400 naming the field',
      async (phone) => {
        const response = await api.request('POST', '/api/customers', { phone });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({
          statusCode: 400,
          error: 'validation_failed',
          errors: [{ field: 'phone' }],
        });
        expect(response.body.message).toMatch(/^phone must be a phone number/);
      },
    );

    it('lower-cases emails and finds the customer by any spelling', async () => {
      const email = uniqueEmail();
      const created = await api.request('POST', '/api/customers', { email: email.toUpperCase() });
      expect(created.body.email).toBe(email);
      const found = await api.request(
        'GET',
        `/api/customers?email=${encodeURIComponent(email.toUpperCase())}`,
      );
      expect(found.body.data.map((c: any) => c.id)).toEqual([created.body.id]);
    });

    it.each([
      ['phone', () => uniquePhone(), (v: string) => v],
      ['email', () => uniqueEmail(), (v: string) => v.toUpperCase()],
      ['external_id', () => `ext-${Date.now()}`, (v: string) => v],
    ])('answers 409 when %s already belongs to another customer', async (field, make, respell) => {
      const value = make();
      expect((await api.request('POST', '/api/customers', { [field]: value })).status).toBe(201);
      const duplicate = await api.request('POST', '/api/customers', { [field]: respell(value) });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toEqual({
        statusCode: 409,
        error: 'conflict',
        message: `${field} is already taken`,
      });
      const other = await createCustomer(api);
      const patched = await api.request('PATCH', `/api/customers/${other.id}`, { [field]: value });
      expect(patched.status).toBe(409);
    });

    it('finds a customer by external_id, and nobody for an unknown one', async () => {
      const customer = await createCustomer(api);
      const found = await api.request('GET', `/api/customers?external_id=${customer.external_id}`);
      expect(found.body).toEqual({ data: [customer], next_cursor: null });
      const none = await api.request('GET', '/api/customers?external_id=nobody-has-this');
      expect(none.body).toEqual({ data: [], next_cursor: null });
    });

    it('updates the fields a PATCH names and leaves the others', async () => {
      const customer = await createCustomer(api);
      const patched = await api.request('PATCH', `/api/customers/${customer.id}`, {
        name: 'New Name',
        email: 'New.Name@Example.com',
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        name: 'New Name',
        email: 'new.name@example.com',
        phone: customer.phone,
      });
    });
  });

  describe('listing and pagination', () => {
    it('pages through a conversation newest first with no gaps or repeats', async () => {
      const conversation = await createConversation(api, 'email');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const response = await api.request('POST', '/api/messages', {
          conversation_id: conversation.id,
          direction: 'inbound',
          channel: 'email',
          body: `message ${i}`,
        });
        ids.push(response.body.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
        const page = await api.request(
          'GET',
          `/api/conversations/${conversation.id}/messages${query}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...page.body.data.map((m: any) => m.id));
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
    });

    it('filters messages by status, channel, direction and conversation', async () => {
      const conversation = await createConversation(api, 'web');
      const inbound = await api.request('POST', '/api/messages', {
        conversation_id: conversation.id,
        direction: 'inbound',
        channel: 'web',
        body: 'in',
      });
      const outbound = await api.request('POST', '/api/messages', {
        conversation_id: conversation.id,
        direction: 'outbound',
        channel: 'web',
        body: 'out',
      });
      const list = await api.request(
        'GET',
        `/api/messages?conversation_id=${conversation.id}&direction=outbound&status=queued&channel=web`,
      );
      expect(list.body.data.map((m: any) => m.id)).toEqual([outbound.body.id]);
      const received = await api.request(
        'GET',
        `/api/messages?conversation_id=${conversation.id}&status=received`,
      );
      expect(received.body.data.map((m: any) => m.id)).toEqual([inbound.body.id]);
    });

    it('lists conversations by customer, status and channel', async () => {
      const customer = await createCustomer(api);
      const sms = await createConversation(api, 'sms', { customer_id: customer.id });
      const email = await createConversation(api, 'email', { customer_id: customer.id });
      await api.request('PATCH', `/api/conversations/${email.id}`, { status: 'closed' });
      const open = await api.request(
        'GET',
        `/api/conversations?customer_id=${customer.id}&status=open`,
      );
      expect(open.body.data.map((c: any) => c.id)).toEqual([sms.id]);
      const byChannel = await api.request(
        'GET',
        `/api/conversations?customer_id=${customer.id}&channel=email`,
      );
      expect(byChannel.body.data.map((c: any) => c.id)).toEqual([email.id]);
    });

    it('refuses a second open conversation on the same channel with 409', async () => {
      const first = await createConversation(api, 'sms');
      const second = await api.request('POST', '/api/conversations', {
        customer_id: first.customer_id,
        channel: 'sms',
      });
      expect(second.status).toBe(409);
      expect(second.body.message).toContain('already has an open sms conversation');
    });

    it.each(['limit=0', 'limit=201', 'limit=abc', 'cursor=nope'])(
      'rejects ?%s with 400',
      async (query) => {
        const response = await api.request('GET', `/api/messages?${query}`);
        expect(response.status).toBe(400);
      },
    );
  });

  describe('validation and errors', () => {
    let conversationId: string;
    beforeAll(async () => {
      conversationId = (await createConversation(api, 'sms')).id;
    });
    const message = (fields: Record<string, unknown> = {}) => ({
      conversation_id: conversationId,
      direction: 'outbound',
      channel: 'sms',
      body: 'hi',
      ...fields,
    });

    it.each([
      ['an unknown field', { surprise: true }, 'property surprise should not exist', 'surprise'],
      ['a bad direction', { direction: 'sideways' }, 'direction', 'direction'],
      ['a bad channel', { channel: 'pigeon' }, 'channel', 'channel'],
      ['a bad priority', { priority: 'urgent' }, 'priority', 'priority'],
      ['a body over 64 KiB', { body: 'x'.repeat(65_537) }, 'body', 'body'],
      ['an empty body', { body: '' }, 'body', 'body'],
      ['a non-uuid conversation', { conversation_id: 'abc' }, 'conversation_id', 'conversation_id'],
      ['a zero validity', { validity_seconds: 0 }, 'validity_seconds', 'validity_seconds'],
      ['no body and no template', { body: undefined }, 'body', 'body'],
      [
        'a bad template name',
        { template: { name: 'Bad Name', language: 'en_US' } },
        'template.name',
        'template.name',
      ],
    ])('answers 400 for %s, naming the field', async (_, fields, named, field) => {
      const response = await api.request('POST', '/api/messages', message(fields));
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('validation_failed');
      expect(response.body.message).toContain(named);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });

    it('answers 400 for malformed JSON', async () => {
      const response = await api.request('POST', '/api/messages', '{"conversation_id": ', {
        'content-type': 'application/json',
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'invalid_json' });
      expect(response.body.message).toMatch(/JSON/);
    });

    it('answers 413 for a body over 1 MiB', async () => {
      const response = await api.request(
        'POST',
        '/api/messages',
        JSON.stringify(message({ body: 'x'.repeat(1_100_000) })),
        {
          'content-type': 'application/json',
        },
      );
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
    });

    it('answers 415 for a body that is not JSON', async () => {
      const response = await api.request('POST', '/api/customers', 'name=x', {
        'content-type': 'text/csv',
      });
      expect(response.status).toBe(415);
      expect(response.body.error).toBe('unsupported_media_type');
    });

    it.each([
      ['GET', '/api/customers/'],
      ['GET', '/api/conversations/'],
      ['GET', '/api/messages/'],
      ['GET', '/api/conversations/{id}/messages'],
      ['PATCH', '/api/customers/'],
    ])('answers 404 for an unknown id (%s %s)', async (method, path) => {
      const id = '0190b1d2-0000-7000-8000-000000000000';
      const url = path.includes('{id}') ? path.replace('{id}', id) : `${path}${id}`;
      const response = await api.request(
        method,
        url,
        method === 'PATCH' ? { name: 'x' } : undefined,
      );
      expect(response.status).toBe(404);
      expect(response.body.error).toBe('not_found');
    });

    it('answers 404 for a message on an unknown conversation, 400 for a malformed id', async () => {
      const unknown = await api.request(
        'POST',
        '/api/messages',
        message({ conversation_id: '0190b1d2-0000-7000-8000-000000000000' }),
      );
      expect(unknown.status).toBe(404);
      const malformed = await api.request('GET', '/api/messages/not-a-uuid');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toEqual({
        statusCode: 400,
        error: 'validation_failed',
        message: 'id must be a UUID',
        errors: [{ field: 'id', message: 'id must be a UUID' }],
      });
    });

    it('answers 422 channel_mismatch when the channel is not the conversation’s', async () => {
      const response = await api.request('POST', '/api/messages', message({ channel: 'email' }));
      expect(response.status).toBe(422);
      expect(response.body.error).toBe('channel_mismatch');
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the first response for a repeat and creates no second row or job', async () => {
      const conversation = await createConversation(api, 'email');
      const body = {
        conversation_id: conversation.id,
        direction: 'outbound',
        channel: 'email',
        body: 'Receipt',
        subject: 'Your receipt',
      };
      const key = `key-${Date.now()}`;
      const first = await api.request('POST', '/api/messages', body, { 'idempotency-key': key });
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      const repeats = await Promise.all(
        [1, 2, 3].map(() =>
          api.request('POST', '/api/messages', reordered, { 'idempotency-key': key }),
        ),
      );
      expect(first.status).toBe(202);
      for (const repeat of repeats) {
        expect(repeat.status).toBe(202);
        expect(repeat.body).toEqual(first.body);
      }
      const rows = await sql('SELECT id FROM messages WHERE conversation_id = $1', [
        conversation.id,
      ]);
      expect(rows).toHaveLength(1);
      const jobs = await queues[2].getJobs(['waiting', 'prioritized', 'delayed', 'active']);
      expect(jobs.filter((job) => job.data.messageId === first.body.id)).toHaveLength(1);
    });

    it('refuses the same key with another body with 422', async () => {
      const conversation = await createConversation(api, 'sms');
      const key = `key-${Date.now()}-b`;
      const body = {
        conversation_id: conversation.id,
        direction: 'outbound',
        channel: 'sms',
        body: 'one',
      };
      expect(
        (await api.request('POST', '/api/messages', body, { 'idempotency-key': key })).status,
      ).toBe(202);
      const other = await api.request(
        'POST',
        '/api/messages',
        { ...body, body: 'two' },
        { 'idempotency-key': key },
      );
      expect(other.status).toBe(422);
      expect(other.body.error).toBe('idempotency_key_reused');
      expect(
        await sql('SELECT id FROM messages WHERE conversation_id = $1', [conversation.id]),
      ).toHaveLength(1);
    });
  });

  describe('API keys', () => {
    let secured: ApiHarness;
    beforeAll(async () => {
      secured = await startApi({ ...env, API_KEYS: 'key-one, key-two' });
    });
    afterAll(() => secured.close());

    it.each([
      ['no header', {}],
      ['a wrong key', { authorization: 'Bearer nope' }],
      ['a non-bearer scheme', { authorization: 'Basic a2V5LW9uZTo=' }],
    ])('answers 401 for %s', async (_, headers) => {
      const response = await secured.request('GET', '/api/customers', undefined, headers);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
    });

    it('accepts each configured key', async () => {
      for (const key of ['key-one', 'key-two']) {
        const response = await secured.request('GET', '/api/customers?limit=1', undefined, {
          authorization: `Bearer ${key}`,
        });
        expect(response.status).toBe(200);
      }
    });
  });

  describe('configuration', () => {
    const run = (script: string, extra: Record<string, string>) =>
      spawnSync(process.execPath, [join(__dirname, '..', 'dist', script)], {
        env: { PATH: process.env.PATH, ...env, ...extra },
        encoding: 'utf8',
        timeout: 20_000,
      });

    it.each([
      ['main.js', { PORT: 'eighty' }, 'PORT'],
      ['main.js', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
      ['worker.js', { OUTBOUND_RETRY_DELAYS_MS: '10,soon' }, 'OUTBOUND_RETRY_DELAYS_MS'],
      [
        'worker.js',
        { WHATSAPP_API_URL: 'http://127.0.0.1:9/v23.0/1/messages' },
        'WHATSAPP_ACCESS_TOKEN',
      ],
      [
        'main.js',
        { NODE_ENV: 'production', API_KEYS: '', MAIL_MAILER: 'smtp', MAIL_HOST: 'mail' },
        'API_KEYS',
      ],
    ])('%s refuses to start with a bad %o, naming %s', (script, extra, named) => {
      const result = run(script, extra as Record<string, string>);
      expect(result.status).toBe(78);
      expect(result.stderr).toMatch(new RegExp(`^config error: .*${named}`, 'm'));
    });
  });
});
