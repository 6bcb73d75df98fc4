import { sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import {
  expectKeptUnreadable,
  expectRefused,
  fixture,
  INBOUND_ENV,
  postWhatsapp,
  sentOutboundMessage,
  uniqueWaId,
  uniqueWamid,
  useInboundApi,
  whatsappSignature,
  whatsappStatus,
  whatsappText,
} from './support/inbound-webhooks';

describe('Inbound WhatsApp Cloud API webhook (real API and Postgres)', () => {
  const api = useInboundApi();

  const messagesByWamid = (id: string) =>
    sql('SELECT * FROM messages WHERE provider_message_id = $1', [id]);

  describe('subscribe handshake', () => {
    it('answers the challenge as text/plain for the right token', async () => {
      const response = await api.request(
        'GET',
        `/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${INBOUND_ENV.WHATSAPP_VERIFY_TOKEN}&hub.challenge=1158201444`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(response.text).toBe('1158201444');
    });

    it('answers 403 for a wrong token or mode', async () => {
      for (const query of [
        'hub.mode=subscribe&hub.verify_token=nope',
        'hub.mode=other&hub.verify_token=test-verify-token',
      ]) {
        const response = await api.request(
          'GET',
          `/api/webhooks/whatsapp?${query}&hub.challenge=1`,
        );
        expect(response.status).toBe(403);
      }
    });
  });

  describe('messages', () => {
    it('stores the documented text sample: customer, open conversation, received message, raw event', async () => {
      const sample = fixture('whatsapp/text-message.json');
      const response = await postWhatsapp(api, sample);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ event_id: expect.any(String), status: 'processed' });

      const [customer] = await sql('SELECT * FROM customers WHERE phone = $1', ['+16315551234']);
      expect(customer).toMatchObject({ name: 'Kerry Fisher', email: null });
      const conversations = await sql('SELECT * FROM conversations WHERE customer_id = $1', [
        customer.id,
      ]);
      expect(conversations).toEqual([
        expect.objectContaining({ channel: 'whatsapp', status: 'open' }),
      ]);
      const [message] = await messagesByWamid(sample.entry[0].changes[0].value.messages[0].id);
      expect(message).toMatchObject({
        conversation_id: conversations[0].id,
        customer_id: customer.id,
        direction: 'inbound',
        channel: 'whatsapp',
        body: 'Hello World',
        status: 'received',
      });
      expect(message.metadata).toMatchObject({ type: 'text', phone_number_id: '106540352242922' });
      expect(conversations[0].last_message_at).toEqual(message.created_at);

      const [event] = await sql('SELECT * FROM inbound_events WHERE id = $1', [
        response.body.event_id,
      ]);
      expect(event).toMatchObject({
        provider: 'whatsapp',
        status: 'processed',
        attempts: 1,
        error: null,
      });
      expect(event.payload).toBe(JSON.stringify(sample));
      expect(Object.keys(event.headers)).not.toContain('x-hub-signature-256');
    });

    it('stores the other types with their type, caption and media id', async () => {
      const sample = fixture('whatsapp/typed-messages.json');
      const from = uniqueWaId();
      const value = sample.entry[0].changes[0].value;
      value.contacts[0].wa_id = from;
      for (const message of value.messages) Object.assign(message, { from, id: uniqueWamid() });
      expect((await postWhatsapp(api, sample)).status).toBe(200);

      const rows = await sql(
        `SELECT m.body, m.metadata FROM messages m JOIN customers c ON c.id = m.customer_id
          WHERE c.phone = $1 ORDER BY m.id`,
        [`+${from}`],
      );
      expect(rows.map((row) => [row.metadata.type, row.body])).toEqual([
        ['image', 'Black jacket, size M'],
        ['audio', null],
        ['document', 'Invoice for March'],
        ['location', null],
        ['interactive', 'Change'],
        ['interactive', 'Express Shipping'],
        ['button', 'Stop promotions'],
      ]);
      expect(rows[0].metadata).toMatchObject({
        media_id: '1003383421387256',
        caption: 'Black jacket, size M',
      });
      expect(rows[3].metadata.location).toMatchObject({
        latitude: 37.483307,
        longitude: -122.148981,
      });
    });

    it('fills an empty customer name from the profile, but never overwrites one', async () => {
      const nameless = await createCustomer(api, { name: undefined, phone: `+${uniqueWaId()}` });
      const named = await createCustomer(api, { name: 'Chosen Name', phone: `+${uniqueWaId()}` });
      for (const customer of [nameless, named]) {
        const response = await postWhatsapp(
          api,
          whatsappText({ from: customer.phone.slice(1), name: 'Profile Name' }),
        );
        expect(response.status).toBe(200);
      }
      const rows = await sql('SELECT id, name FROM customers WHERE id = ANY($1) ORDER BY id', [
        [nameless.id, named.id],
      ]);
      expect(Object.fromEntries(rows.map((row) => [row.id, row.name]))).toEqual({
        [nameless.id]: 'Profile Name',
        [named.id]: 'Chosen Name',
      });
    });

    it('handles every entry, change, message and status of a batched notification', async () => {
      const [a, b] = [uniqueWaId(), uniqueWaId()];
      const first = whatsappText({ from: a }).entry[0].changes[0];
      const second = whatsappText({ from: b }).entry[0].changes[0];
      second.value.messages.push({
        ...second.value.messages[0],
        id: uniqueWamid(),
        text: { body: 'second' },
      });
      const status = whatsappStatus(uniqueWamid(), 'delivered', 1750263773).entry[0].changes[0];
      const batch = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '1',
            changes: [first, { field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }],
          },
          { id: '2', changes: [second, status] },
        ],
      };
      const response = await postWhatsapp(api, batch);
      expect(response.body.status).toBe('processed');
      const counts = await sql(
        `SELECT c.phone, count(m.id)::int AS n FROM customers c JOIN messages m ON m.customer_id = c.id
          WHERE c.phone = ANY($1) GROUP BY c.phone ORDER BY c.phone`,
        [[`+${a}`, `+${b}`]],
      );
      expect(counts).toEqual(
        [`+${a}`, `+${b}`].sort().map((phone) => ({ phone, n: phone === `+${a}` ? 1 : 2 })),
      );
      const receipts = await sql('SELECT * FROM message_receipts WHERE provider_message_id = $1', [
        status.value.statuses[0].id,
      ]);
      expect(receipts).toHaveLength(1);
    });

    it('opens a new conversation when the open one was closed', async () => {
      const from = uniqueWaId();
      await postWhatsapp(api, whatsappText({ from }));
      const [first] = await sql(
        'SELECT conversation_id FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.phone = $1',
        [`+${from}`],
      );
      await api.request('PATCH', `/api/conversations/${first.conversation_id}`, {
        status: 'closed',
      });
      await postWhatsapp(api, whatsappText({ from }));
      const conversations = await sql(
        `SELECT cv.id, cv.status FROM conversations cv JOIN customers c ON c.id = cv.customer_id
          WHERE c.phone = $1 ORDER BY cv.id`,
        [`+${from}`],
      );
      expect(conversations.map((c) => c.status)).toEqual(['closed', 'open']);
      expect(conversations[0].id).toBe(first.conversation_id);
    });
  });

  describe('idempotency and concurrency', () => {
    it('stores a redelivered notification once and still answers 200', async () => {
      const payload = whatsappText({ from: uniqueWaId() });
      const id = payload.entry[0].changes[0].value.messages[0].id;
      const responses = [await postWhatsapp(api, payload), await postWhatsapp(api, payload)];
      expect(responses.map((r) => r.status)).toEqual([200, 200]);
      expect(responses[1].body.event_id).toBe(responses[0].body.event_id);
      expect(await messagesByWamid(id)).toHaveLength(1);
      // The same message inside another notification (other bytes) is still stored once.
      const wrapped = { ...payload, entry: [...payload.entry, { id: 'x', changes: [] }] };
      expect((await postWhatsapp(api, wrapped)).status).toBe(200);
      expect(await messagesByWamid(id)).toHaveLength(1);
    });

    it('turns 20 concurrent first messages from one new number into one customer, one conversation, 20 messages', async () => {
      const from = uniqueWaId();
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          postWhatsapp(api, whatsappText({ from, body: `message ${i}` })),
        ),
      );
      expect(responses.map((r) => r.body.status)).toEqual(Array(20).fill('processed'));
      const customers = await sql('SELECT id FROM customers WHERE phone = $1', [`+${from}`]);
      expect(customers).toHaveLength(1);
      const conversations = await sql('SELECT id FROM conversations WHERE customer_id = $1', [
        customers[0].id,
      ]);
      expect(conversations).toHaveLength(1);
      const messages = await sql('SELECT conversation_id FROM messages WHERE customer_id = $1', [
        customers[0].id,
      ]);
      expect(messages).toHaveLength(20);
      expect(new Set(messages.map((m) => m.conversation_id))).toEqual(
        new Set([conversations[0].id]),
      );
    });

    // Speed is measured in bench/, not asserted here: this only shows that a large batch is
    // processed in one request, and prints how long it took.
    it('processes a notification of 200 messages in one request', async () => {
      const payload = whatsappText({ from: uniqueWaId() });
      const value = payload.entry[0].changes[0].value;
      const template = value.messages[0];
      value.messages = Array.from({ length: 200 }, (_, i) => ({
        ...template,
        from: i % 2 ? template.from : uniqueWaId(),
        id: uniqueWamid(),
      }));
      const started = Date.now();
      const response = await postWhatsapp(api, payload);
      const elapsed = Date.now() - started;
      expect(response.body.status).toBe('processed');
      const [stored] = await sql(
        'SELECT count(*)::int AS n FROM messages WHERE provider_message_id = ANY($1)',
        [value.messages.map((m: { id: string }) => m.id)],
      );
      expect(stored.n).toBe(200);
      process.stdout.write(`WhatsApp notification with 200 messages answered in ${elapsed} ms\n`);
    });
  });

  describe('signatures and malformed payloads: refused, nothing stored', () => {
    it('accepts a valid signature, rejects a missing, wrong or re-serialized one with 401', async () => {
      const payload = whatsappText({ from: uniqueWaId(), body: 'Olá, café?' });
      const id = payload.entry[0].changes[0].value.messages[0].id;
      // Meta escapes non-ASCII: the signed bytes differ from what JSON.stringify would produce.
      const raw = JSON.stringify(payload, null, 1).replace(
        /[\u0080-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      await expectRefused(postWhatsapp(api, raw, { 'x-hub-signature-256': '' }), 401, /missing/);
      await expectRefused(
        postWhatsapp(api, raw, { 'x-hub-signature-256': whatsappSignature(raw, 'wrong-secret') }),
        401,
        /does not match/,
      );
      await expectRefused(
        postWhatsapp(api, JSON.stringify(payload), {
          'x-hub-signature-256': whatsappSignature(raw),
        }),
        401,
        /does not match/,
      );
      expect(await messagesByWamid(id)).toHaveLength(0);

      const accepted = await postWhatsapp(api, raw);
      expect(accepted.status).toBe(200);
      expect((await messagesByWamid(id))[0].body).toBe('Olá, café?');
    });

    it('answers 415 for another content type, 400 for broken JSON, 413 for a huge body', async () => {
      const form = 'object=whatsapp_business_account';
      await expectRefused(
        postWhatsapp(api, form, { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        /application\/json/,
      );
      await expectRefused(
        postWhatsapp(api, form, { 'content-type': 'text/plain' }),
        415,
        /content type/,
      );
      await expectRefused(
        postWhatsapp(api, '{"object": "whatsapp_business_account", '),
        400,
        /JSON/,
      );
      await expectRefused(
        postWhatsapp(api, JSON.stringify({ pad: 'x'.repeat(1_100_000) })),
        413,
        /too large/i,
      );
    });

    it.each([
      [
        'another object',
        { object: 'instagram', entry: [] },
        /object must be "whatsapp_business_account"/,
      ],
      ['no entry', { object: 'whatsapp_business_account' }, /entry must be an array/],
      [
        'a message without id',
        {
          object: 'whatsapp_business_account',
          entry: [
            {
              changes: [
                {
                  field: 'messages',
                  value: { messages: [{ from: '16315550000', type: 'text', text: { body: 'x' } }] },
                },
              ],
            },
          ],
        },
        /messages\[0\]\.id is required/,
      ],
      [
        'a status without status',
        {
          object: 'whatsapp_business_account',
          entry: [{ changes: [{ field: 'messages', value: { statuses: [{ id: 'wamid.x' }] } }] }],
        },
        /statuses\[0\]\.status is required/,
      ],
      ['a JSON array', [], /body must be an object/],
    ])(
      'answers 400 for %s, naming the field, and keeps it for replay',
      async (_, payload, message) => {
        await expectKeptUnreadable(postWhatsapp(api, payload), message);
      },
    );
  });

  describe('status receipts', () => {
    /** An outbound message as the worker leaves it after a successful send. */
    async function sentMessage() {
      const conversation = await createConversation(api, 'whatsapp');
      const wamid = uniqueWamid();
      const id = await sentOutboundMessage(
        api,
        conversation.id,
        'whatsapp',
        wamid,
        new Date(1750260000 * 1000),
      );
      return { id, wamid };
    }
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
    const receipts = async (id: string) =>
      (await api.request('GET', `/api/messages/${id}/receipts`)).body.data;

    it('moves sent → delivered → read with the provider timestamps', async () => {
      const message = await sentMessage();
      await postWhatsapp(api, whatsappStatus(message.wamid, 'delivered', 1750260100));
      await postWhatsapp(api, whatsappStatus(message.wamid, 'read', 1750260200));
      const fetched = (await api.request('GET', `/api/messages/${message.id}`)).body;
      expect(fetched).toMatchObject({
        status: 'read',
        delivered_at: iso(1750260100),
        read_at: iso(1750260200),
      });
      expect((await receipts(message.id)).map((r: any) => [r.status, r.status_changed])).toEqual([
        ['delivered', true],
        ['read', true],
      ]);
    });

    it('keeps read when delivered comes late and sent after read, and records every receipt', async () => {
      const message = await sentMessage();
      for (const [status, at] of [
        ['read', 1750260200],
        ['delivered', 1750260100],
        ['sent', 1750260050],
      ] as const) {
        expect((await postWhatsapp(api, whatsappStatus(message.wamid, status, at))).status).toBe(
          200,
        );
      }
      const fetched = (await api.request('GET', `/api/messages/${message.id}`)).body;
      expect(fetched).toMatchObject({
        status: 'read',
        sent_at: iso(1750260000),
        delivered_at: iso(1750260100),
        read_at: iso(1750260200),
      });
      expect(await receipts(message.id)).toEqual([
        expect.objectContaining({
          status: 'read',
          status_changed: true,
          provider_timestamp: iso(1750260200),
        }),
        expect.objectContaining({
          status: 'delivered',
          status_changed: false,
          provider_timestamp: iso(1750260100),
        }),
        expect.objectContaining({
          status: 'sent',
          status_changed: false,
          provider_timestamp: iso(1750260050),
        }),
      ]);
    });

    it('fails the message on a failed receipt and keeps the provider error', async () => {
      const message = await sentMessage();
      await postWhatsapp(api, whatsappStatus(message.wamid, 'failed', 1750260300));
      const fetched = (await api.request('GET', `/api/messages/${message.id}`)).body;
      expect(fetched).toMatchObject({ status: 'failed', failed_at: iso(1750260300) });
      expect(fetched.last_error).toMatch(
        /^\(#131047\) Re-engagement message: Message failed to send/,
      );
      expect((await receipts(message.id))[0]).toMatchObject({
        status: 'failed',
        error_code: '131047',
      });
    });

    it('acknowledges a receipt for an unknown message and keeps it, applied to nothing', async () => {
      const wamid = uniqueWamid();
      const response = await postWhatsapp(api, whatsappStatus(wamid, 'delivered', 1750260100));
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('processed');
      const rows = await sql(
        'SELECT message_id, status_changed FROM message_receipts WHERE provider_message_id = $1',
        [wamid],
      );
      expect(rows).toEqual([{ message_id: null, status_changed: false }]);
    });

    it('answers 404 for the receipts of an unknown message', async () => {
      const response = await api.request(
        'GET',
        '/api/messages/0190b1d2-0000-7000-8000-000000000000/receipts',
      );
      expect(response.status).toBe(404);
    });
  });
});
