import { ApiHarness, ApiResponse, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { obliterateOutboundQueues } from './support/queues';
import { testEnv } from './support/test-env';

const NUL = 'a\u0000b';
/** An endpoint that is never called: no worker runs in this file. */
const HOOK_URL = 'http://127.0.0.1:9/hostile-input-hook';
const LONE_SURROGATE = 'a\ud800b';

/** Every error answer has this shape and nothing else (errors: only for validation_failed). */
function expectErrorShape(response: ApiResponse, status: number, error: string): void {
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({ statusCode: status, error });
  expect(typeof response.body.message).toBe('string');
  expect(response.body.message.length).toBeGreaterThan(0);
  const keys = Object.keys(response.body).filter((key) => key !== 'errors');
  expect(keys.sort()).toEqual(['error', 'message', 'statusCode']);
  if (response.body.errors !== undefined) expect(error).toBe('validation_failed');
}

/** A 400 that names `field`, both in the message and in the errors list. */
function expectFieldRefused(response: ApiResponse, field: string, why: RegExp): void {
  expectErrorShape(response, 400, 'validation_failed');
  expect(response.body.message).toContain(field);
  expect(response.body.message).toMatch(why);
  expect(response.body.errors).toEqual([{ field, message: response.body.message }]);
}

describe('Hostile and careless input: 4xx naming the problem, never a 500', () => {
  const env = testEnv({
    WHATSAPP_REPLY_WINDOW_HOURS: '0',
    EVENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  let api: ApiHarness;
  let customerId: string;
  const conversations: Record<string, string> = {};

  beforeAll(async () => {
    api = await startApi(env);
    customerId = (await createCustomer(api)).id;
    for (const channel of ['whatsapp', 'sms', 'email', 'web']) {
      conversations[channel] = (await createConversation(api, channel)).id;
    }
  });
  afterAll(async () => {
    await sql(`DELETE FROM webhook_endpoints WHERE url = $1`, [HOOK_URL]);
    await api.close();
    await closeDb();
    await obliterateOutboundQueues(env);
  });

  const message = (fields: Record<string, unknown> = {}) => ({
    conversation_id: conversations.email,
    direction: 'outbound',
    channel: 'email',
    body: 'hello',
    ...fields,
  });

  describe('a NUL character or a lone surrogate in any string', () => {
    const cases: [string, string, string, (bad: string) => unknown, string][] = [
      ['message body', 'POST', '/api/messages', (bad) => message({ body: bad }), 'body'],
      ['message subject', 'POST', '/api/messages', (bad) => message({ subject: bad }), 'subject'],
      [
        'a nested metadata value',
        'POST',
        '/api/messages',
        (bad) => message({ metadata: { order: { notes: ['ok', bad] } } }),
        'metadata.order.notes[1]',
      ],
      [
        'a nested metadata key',
        'POST',
        '/api/messages',
        (bad) => message({ metadata: { order: { [bad]: 1 } } }),
        'metadata.order',
      ],
      ['customer name', 'POST', '/api/customers', (bad) => ({ name: bad }), 'name'],
      [
        'customer external_id',
        'POST',
        '/api/customers',
        (bad) => ({ external_id: bad }),
        'external_id',
      ],
      [
        'customer metadata',
        'POST',
        '/api/customers',
        (bad) => ({ metadata: { k: bad } }),
        'metadata.k',
      ],
      ['a customer patch', 'PATCH', '/api/customers/{customer}', (bad) => ({ name: bad }), 'name'],
      [
        'conversation subject',
        'POST',
        '/api/conversations',
        (bad) => ({ customer_id: '{customer}', channel: 'web', subject: bad }),
        'subject',
      ],
      [
        'template name',
        'POST',
        '/api/messages',
        (bad) =>
          message({
            conversation_id: conversations.whatsapp,
            channel: 'whatsapp',
            body: undefined,
            template: { name: bad, language: 'en_US' },
          }),
        'template.name',
      ],
    ];

    for (const [what, bad, why] of [
      ['NUL', NUL, /NUL character/],
      ['lone surrogate', LONE_SURROGATE, /lone UTF-16 surrogate/],
    ] as const) {
      it.each(cases)(`answers 400 for a ${what} in %s`, async (_, method, path, body, field) => {
        const before = await rowCounts();
        const payload = JSON.parse(JSON.stringify(body(bad)).replaceAll('{customer}', customerId));
        const response = await api.request(method, path.replace('{customer}', customerId), payload);
        expectFieldRefused(response, field, why);
        expect(await rowCounts()).toEqual(before);
      });
    }

    it.each(['external_id', 'email', 'phone'])(
      'answers 400 for a NUL in the query parameter %s',
      async (field) => {
        const response = await api.request(
          'GET',
          `/api/customers?${field}=${encodeURIComponent(NUL)}`,
        );
        expectFieldRefused(response, field, /NUL character/);
      },
    );

    it('answers 400 for metadata nested deeper than 32 levels, before walking it all', async () => {
      const depth = 5_000;
      const body = `{"metadata":{"deep":${'['.repeat(depth)}"bottom"${']'.repeat(depth)}}}`;
      const response = await api.request('POST', '/api/customers', body, {
        'content-type': 'application/json',
      });
      expectFieldRefused(response, 'metadata', /nested more than 32 levels/);
    });

    it('still takes valid surrogate pairs (emoji) and stores them as sent', async () => {
      const response = await api.request('POST', '/api/customers', { name: 'Ann 😀' });
      expect(response.status).toBe(201);
      expect(response.body.name).toBe('Ann 😀');
    });
  });

  describe('null, "" or a wrong type in any optional field of a create or update', () => {
    /** [request, field, a valid body the field is added to, a value of the wrong type] */
    type Case = [string, string, () => Record<string, unknown>, unknown];
    const messageOn = (channel: string) => () => ({
      ...message({ conversation_id: conversations[channel], channel }),
    });
    const optionalFields: Case[] = [
      ['POST /api/customers', 'name', () => ({}), 42],
      ['POST /api/customers', 'phone', () => ({}), 4155550100],
      ['POST /api/customers', 'email', () => ({}), ['ann@example.com']],
      ['POST /api/customers', 'external_id', () => ({}), 7],
      ['POST /api/customers', 'metadata', () => ({}), 'plan=pro'],
      ['PATCH /api/customers/{customer}', 'name', () => ({}), 42],
      ['PATCH /api/customers/{customer}', 'phone', () => ({}), true],
      ['PATCH /api/customers/{customer}', 'email', () => ({}), 42],
      ['PATCH /api/customers/{customer}', 'external_id', () => ({}), {}],
      ['PATCH /api/customers/{customer}', 'metadata', () => ({}), ['plan']],
      [
        'POST /api/conversations',
        'subject',
        () => ({ customer_id: customerId, channel: 'email' }),
        42,
      ],
      ['POST /api/messages', 'body', messageOn('sms'), 42],
      ['POST /api/messages', 'subject', messageOn('email'), 42],
      ['POST /api/messages', 'priority', messageOn('sms'), 1],
      ['POST /api/messages', 'validity_seconds', messageOn('sms'), '3600'],
      ['POST /api/messages', 'template', messageOn('whatsapp'), 'order_update'],
      ['POST /api/messages', 'metadata', messageOn('sms'), 'x'],
      ['POST /api/messages', 'attachments', messageOn('sms'), 'not-a-list'],
      ['POST /api/webhook-endpoints', 'event_types', () => ({ url: HOOK_URL }), 'message.created'],
      ['POST /api/webhook-endpoints', 'description', () => ({ url: HOOK_URL }), 42],
      ['POST /api/webhook-endpoints', 'ordered', () => ({ url: HOOK_URL }), 'yes'],
      ['POST /api/webhook-endpoints', 'rate_limit_per_second', () => ({ url: HOOK_URL }), '5'],
      ['POST /api/webhook-endpoints', 'metadata', () => ({ url: HOOK_URL }), 'x'],
      ['PATCH /api/webhook-endpoints/{endpoint}', 'url', () => ({}), 42],
      ['PATCH /api/webhook-endpoints/{endpoint}', 'event_types', () => ({}), 'message.created'],
      ['PATCH /api/webhook-endpoints/{endpoint}', 'description', () => ({}), 42],
      ['PATCH /api/webhook-endpoints/{endpoint}', 'rate_limit_per_second', () => ({}), '5'],
      ['PATCH /api/webhook-endpoints/{endpoint}', 'status', () => ({}), true],
    ];
    const cases = optionalFields.flatMap(([request, field, valid, wrong]) =>
      (
        [
          ['null', null],
          ['""', ''],
          ['a wrong type', wrong],
        ] as const
      ).map(([what, value]) => [request, field, what, valid, value] as const),
    );
    let endpointId: string;

    beforeAll(async () => {
      const created = await api.request('POST', '/api/webhook-endpoints', { url: HOOK_URL });
      expect(created.status).toBe(201);
      endpointId = created.body.id;
    });

    it(`answers 400 validation_failed naming the field for all ${cases.length}`, async () => {
      const problems: string[] = [];
      for (const [request, field, what, valid, value] of cases) {
        const [method, template] = request.split(' ');
        const path = template.replace('{customer}', customerId).replace('{endpoint}', endpointId);
        const before = await rowCounts();
        const response = await api.request(method, path, { ...valid(), [field]: value });
        const named = response.body?.errors?.some((e: { field: string }) => e.field === field);
        if (response.status !== 400 || response.body.error !== 'validation_failed' || !named) {
          problems.push(
            `${request} ${field} = ${what} → ${response.status} ${response.text.slice(0, 160)}`,
          );
        }
        const after = await rowCounts();
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          problems.push(`${request} ${field} = ${what} added rows`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  describe('every query parameter of every list endpoint', () => {
    const HUGE = '9223372036854775808';
    const lists: [string, string[]][] = [
      ['/api/customers', ['limit', 'cursor', 'phone', 'email', 'external_id']],
      ['/api/conversations', ['limit', 'cursor', 'customer_id', 'status', 'channel']],
      ['/api/messages', ['limit', 'cursor', 'status', 'channel', 'conversation_id', 'direction']],
      ['/api/conversations/{conversation}/messages', ['limit', 'cursor']],
      ['/api/events', ['after', 'cursor', 'limit', 'conversation_id']],
      ['/api/inbound-events', ['limit', 'cursor', 'status', 'provider']],
    ];
    const hostile = [NUL, HUGE, '1e23', '-1', '1.5', 'x'.repeat(5_000)];
    const cases = lists.flatMap(([path, names]) =>
      names.flatMap((name) => hostile.map((value) => [path, name, value] as const)),
    );

    it(`answers 400 or 200, never 5xx, for ${cases.length} hostile values`, async () => {
      const problems: string[] = [];
      for (const [path, name, value] of cases) {
        const url = `${path.replace('{conversation}', conversations.sms)}?${name}=${encodeURIComponent(value)}`;
        const response = await api.request('GET', url);
        // Free-text filters (phone, email, external_id) legitimately find nobody: 200 or 400.
        if (response.status === 200) {
          if (!['phone', 'email', 'external_id'].includes(name) || value === NUL) {
            problems.push(`${url} → 200`);
          }
          continue;
        }
        if (response.status !== 400 || response.body.error !== 'validation_failed') {
          problems.push(`${url} → ${response.status} ${response.text.slice(0, 200)}`);
        } else if (!response.body.errors?.some((e: { field: string }) => e.field === name)) {
          problems.push(`${url} → 400 without naming ${name}: ${response.body.message}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it.each([
      ['after', '9223372036854775808'],
      ['after', '1e23'],
      ['after', '0x10'],
      ['limit', '1e2'],
    ])('GET /api/events?%s=%s → 400 naming it', async (name, value) => {
      const response = await api.request('GET', `/api/events?${name}=${value}`);
      expectErrorShape(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([{ field: name, message: expect.any(String) }]);
    });

    it('still reads the log after a large but safe seq', async () => {
      const response = await api.request('GET', `/api/events?after=${Number.MAX_SAFE_INTEGER}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: [], next_cursor: null });
    });

    it.each(['from=0000-01-01T00:00:00Z', 'from=2026-01-01T00:00:00Z&to=%00', 'from=1e23'])(
      'POST /api/inbound-events/replay?%s → 400',
      async (query) => {
        const response = await api.request('POST', `/api/inbound-events/replay?${query}`);
        expectErrorShape(response, 400, 'validation_failed');
      },
    );
  });

  describe('bodies that are not a JSON object', () => {
    it.each([
      ['an array', '[]', 'an array'],
      ['null', 'null', 'null'],
      ['a string', '"name"', 'a string'],
      ['a number', '42', 'a number'],
    ])('answers 400 "expected a JSON object" for %s', async (_, raw, got) => {
      for (const path of ['/api/customers', '/api/messages', `/api/customers/${customerId}`]) {
        const method = path.includes(customerId) ? 'PATCH' : 'POST';
        const response = await api.request(method, path, raw, {
          'content-type': 'application/json',
        });
        expectErrorShape(response, 400, 'validation_failed');
        expect(response.body.message).toBe(
          `expected a JSON object as the request body, got ${got}`,
        );
      }
    });

    it.each([
      ['text/plain', 'text/plain;charset=UTF-8'],
      ['a form', 'application/x-www-form-urlencoded'],
    ])('answers 415 for JSON sent as %s, not errors about fields', async (_, type) => {
      const before = await rowCounts();
      const response = await api.request('POST', '/api/customers', '{"name":"Ann"}', {
        'content-type': type,
      });
      expectErrorShape(response, 415, 'unsupported_media_type');
      expect(response.body.message).toContain('Content-Type: application/json');
      expect(await rowCounts()).toEqual(before);
    });

    it('answers 400 invalid_json for malformed JSON and 413 payload_too_large over 1 MiB', async () => {
      const json = { 'content-type': 'application/json' };
      expectErrorShape(
        await api.request('POST', '/api/customers', '{"name":', json),
        400,
        'invalid_json',
      );
      const big = JSON.stringify({ name: 'x'.repeat(1_100_000) });
      expectErrorShape(
        await api.request('POST', '/api/customers', big, json),
        413,
        'payload_too_large',
      );
    });
  });

  describe('metadata.recipient, checked for the channel', () => {
    it.each([
      ['sms', '+1234567890', /metadata\.recipient must be a phone number/],
      ['whatsapp', 'not a phone', /metadata\.recipient must be a phone number/],
      ['email', 'not-an-email', /metadata\.recipient must be an email address/],
      ['web', '   ', /metadata\.recipient must be a non-empty string/],
      ['sms', 42, /metadata\.recipient must be a non-empty string/],
    ])('%s refuses %p naming metadata.recipient', async (channel, recipient, why) => {
      const response = await api.request(
        'POST',
        '/api/messages',
        message({ conversation_id: conversations[channel], channel, metadata: { recipient } }),
      );
      expectFieldRefused(response, 'metadata.recipient', why);
    });

    it.each([
      ['sms', '(415) 555-0142', '+14155550142'],
      ['whatsapp', '+44 7911 123456', '+447911123456'],
      ['email', 'ann@example.com', 'ann@example.com'],
      ['web', 'visitor-7', 'visitor-7'],
    ])('%s takes %p as the recipient %p', async (channel, recipient, stored) => {
      const response = await api.request(
        'POST',
        '/api/messages',
        message({ conversation_id: conversations[channel], channel, metadata: { recipient } }),
      );
      expect(response.status).toBe(202);
      const [row] = await sql('SELECT recipient FROM messages WHERE id = $1', [response.body.id]);
      expect(row.recipient).toBe(stored);
    });
  });

  describe('one error shape everywhere', () => {
    it.each([
      ['GET', '/api/nowhere', 404, 'not_found', undefined],
      ['GET', '/api/customers/0190b1d2-0000-7000-8000-000000000000', 404, 'not_found', undefined],
      ['GET', '/api/customers/not-a-uuid', 400, 'validation_failed', undefined],
      ['POST', '/api/customers', 400, 'validation_failed', { surprise: 1 }],
      [
        'POST',
        '/api/messages/0190b1d2-0000-7000-8000-000000000000/retry',
        404,
        'not_found',
        undefined,
      ],
      ['POST', '/api/webhooks/whatsapp', 401, 'unauthorized', { entry: [] }],
      ['POST', '/api/webhooks/web', 401, 'unauthorized', { body: 'x' }],
    ])('%s %s → %i %s', async (method, path, status, error, body) => {
      expectErrorShape(await api.request(method, path, body), status, error);
    });

    it('names the code of a conflict and of a bad Idempotency-Key', async () => {
      const customer = await createCustomer(api);
      const taken = await api.request('POST', '/api/customers', { phone: customer.phone });
      expectErrorShape(taken, 409, 'conflict');
      const key = await api.request('POST', '/api/messages', message(), {
        'idempotency-key': 'with space',
      });
      expectFieldRefused(key, 'Idempotency-Key', /printable ASCII/);
    });
  });
});

/** Rows a refused request must not have added. */
async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await sql(
    `SELECT (SELECT count(*) FROM customers)::int AS customers,
            (SELECT count(*) FROM conversations)::int AS conversations,
            (SELECT count(*) FROM messages)::int AS messages`,
  );
  return row;
}
