import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { closeDb, everyEventPublished, sql } from './support/db';
import { connectEvents } from './support/event-socket';
import { createConversation } from './support/factories';
import {
  fixture,
  INBOUND_ENV,
  postEmailJson,
  postTwilio,
  postWeb,
  postWhatsapp,
  uniqueWaId,
  uniqueWamid,
  whatsappStatus,
  whatsappText,
} from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { outboundQueue } from './support/queues';
import { TEST_DATABASE_URL } from './support/test-env';
import { waitFor } from './support/wait-for';
import { answer, startWebhookReceiver, WEBHOOK_TEST_ENV } from './support/webhook-receiver';

/** The webhook secrets the inbound helpers sign with, on top of the outbound stack. */
const INBOUND_SECRETS = {
  PUBLIC_BASE_URL: INBOUND_ENV.PUBLIC_BASE_URL,
  WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
  WHATSAPP_VERIFY_TOKEN: INBOUND_ENV.WHATSAPP_VERIFY_TOKEN,
  EMAIL_WEBHOOK_SECRET: INBOUND_ENV.EMAIL_WEBHOOK_SECRET,
};

/** A person whose every trace carries a marker nobody else in the database has. */
function person() {
  const marker = `zq${randomBytes(6).toString('hex')}`;
  const digits = uniqueWaId();
  return {
    marker,
    digits,
    phone: `+${digits}`,
    email: `${marker}@example.com`,
    name: `Erin ${marker}`,
    externalId: `visitor-${marker}`,
    /** The bytes of the PDF they email: a file of their own in the attachment store. */
    scan: Buffer.from(`%PDF-1.4 scan of ${marker}`),
  };
}

/** Where the local storage driver keeps a file (STORAGE_PATH/files/ab/cd/abcd…). */
function storedFile(env: Record<string, string>, bytes: Buffer): string {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return join(env.STORAGE_PATH, 'files', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

/** Every text, varchar, json and jsonb column of every table, as `[table, column]`. */
async function textColumns(): Promise<[string, string][]> {
  const rows = await sql<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND c.data_type IN ('text', 'character varying', 'json', 'jsonb')`,
  );
  return rows.map((row) => [row.table_name, row.column_name]);
}

/** `table.column` for each column where one of `needles` appears (case-insensitive). */
async function columnsMentioning(needles: string[]): Promise<string[]> {
  const patterns = needles.map((needle) => `%${needle.toLowerCase()}%`);
  const hits: string[] = [];
  for (const [table, column] of await textColumns()) {
    const [row] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${table}" WHERE lower("${column}"::text) LIKE ANY($1)`,
      [patterns],
    );
    if (row.n > 0) hits.push(`${table}.${column} (${row.n})`);
  }
  return hits;
}

/** A message's job in its channel's queue, if any (the queue's connection closed again). */
async function outboundJob(env: Record<string, string>, channel: 'web', messageId: string) {
  const queue = outboundQueue(env, channel);
  try {
    return await queue.getJob(messageId);
  } finally {
    await queue.close();
  }
}

/** Every key of this deployment's queues whose content mentions one of `needles`. */
async function redisKeysMentioning(env: Record<string, string>, needles: string[]) {
  const redis = new Redis(env.REDIS_URL);
  try {
    const keys = await redis.keys(`${env.QUEUE_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    const hits: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      const content =
        type === 'hash'
          ? JSON.stringify(await redis.hgetall(key))
          : type === 'list'
            ? JSON.stringify(await redis.lrange(key, 0, -1))
            : type === 'zset'
              ? JSON.stringify(await redis.zrange(key, 0, -1))
              : type === 'set'
                ? JSON.stringify(await redis.smembers(key))
                : type === 'stream'
                  ? JSON.stringify(await redis.xrange(key, '-', '+'))
                  : type === 'string'
                    ? ((await redis.get(key)) ?? '')
                    : '';
      if (needles.some((needle) => content.toLowerCase().includes(needle.toLowerCase()))) {
        hits.push(key);
      }
    }
    return hits;
  } finally {
    redis.disconnect();
  }
}

const sid = () => `SM${randomBytes(16).toString('hex')}`;

describe('Data lifecycle: erasure and export of a customer (real API, worker, Postgres, Redis)', () => {
  let stack: OutboundStack;

  beforeAll(async () => {
    // Long retry delays: a message that failed once keeps a delayed job in Redis for the test.
    stack = await startOutboundStack({
      ...INBOUND_SECRETS,
      ...WEBHOOK_TEST_ENV,
      OUTBOUND_RETRY_DELAYS_MS: '60000',
    });
  });
  afterAll(() => stack.stop());
  beforeEach(() => {
    for (const standIn of [stack.whatsapp, stack.twilio, stack.web]) standIn.reset();
  });

  const api = () => stack.api;

  /** A customer reached through every path there is; returns them and what was stored. */
  async function seedEverywhere(who: ReturnType<typeof person>) {
    const created = await api().request('POST', '/api/customers', {
      name: who.name,
      phone: who.phone,
      email: who.email,
      external_id: who.externalId,
      metadata: { note: `vip ${who.marker}` },
    });
    expect(created.status).toBe(201);
    const customerId: string = created.body.id;

    const inboundWamid = uniqueWamid();
    const inbound = [
      await postWhatsapp(
        api(),
        whatsappText({
          from: who.digits,
          id: inboundWamid,
          body: `wa ${who.marker}`,
          name: who.name,
        }),
      ),
      await postTwilio(api(), '/api/webhooks/sms', {
        ...fixture('twilio/inbound-sms.json'),
        MessageSid: sid(),
        From: who.phone,
        Body: `sms ${who.marker}`,
      }),
      await postEmailJson(api(), {
        from: `${who.name} <${who.email.toUpperCase()}>`,
        to: 'help@shop.example',
        subject: `order ${who.marker}`,
        text: `email ${who.marker}`,
        message_id: `<${who.marker}@mail.example.com>`,
        attachments: [
          {
            filename: `scan-${who.marker}.pdf`,
            content_type: 'application/pdf',
            content: who.scan.toString('base64'),
          },
        ],
      }),
      await postWeb(
        api(),
        { external_id: who.externalId, email: who.email, body: `web ${who.marker}` },
        { secret: stack.env.WEB_WEBHOOK_SECRET },
      ),
    ];
    expect(inbound.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const conversations = await sql<{ id: string; channel: string }>(
      'SELECT id, channel FROM conversations WHERE customer_id = $1',
      [customerId],
    );
    expect(conversations.map((row) => row.channel).sort()).toEqual([
      'email',
      'sms',
      'web',
      'whatsapp',
    ]);
    const conversationOf = (channel: string) =>
      conversations.find((row) => row.channel === channel)!.id;

    // Outbound: one sent and then delivered (a receipt naming their number), one idempotent, an
    // email with a subject, and one whose first try failed, so its job waits in Redis.
    const whatsapp = await stack.send(conversationOf('whatsapp'), 'whatsapp', {
      body: `reply ${who.marker}`,
    });
    const sentWhatsapp = await stack.waitForStatus(whatsapp.id, ['sent']);
    const status = whatsappStatus(sentWhatsapp.provider_message_id, 'delivered', 1_700_000_000);
    status.entry[0].changes[0].value.statuses[0].recipient_id = who.digits;
    expect((await postWhatsapp(api(), status)).status).toBe(200);
    await stack.waitForStatus(whatsapp.id, ['delivered']);

    const idempotent = await api().request(
      'POST',
      '/api/messages',
      {
        conversation_id: conversationOf('sms'),
        direction: 'outbound',
        channel: 'sms',
        body: `code ${who.marker}`,
      },
      { 'idempotency-key': `key-${who.marker}` },
    );
    expect(idempotent.status).toBe(202);
    const email = await stack.send(conversationOf('email'), 'email', {
      subject: `invoice ${who.marker}`,
      body: `email reply ${who.marker}`,
    });
    await stack.waitForStatus(idempotent.body.id, ['sent']);
    await stack.waitForStatus(email.id, ['sent']);

    stack.web.enqueue({ status: 503 });
    const retrying = await stack.send(conversationOf('web'), 'web', { body: `web ${who.marker}` });
    await stack.waitForStatus(retrying.id, ['retrying']);
    expect(await outboundJob(stack.env, 'web', retrying.id)).toBeDefined();

    // The events about them are published (readable) before the erasure.
    await waitFor(
      async () =>
        (await everyEventPublished()) &&
        (await sql(`SELECT 1 FROM events WHERE data::text LIKE $1`, [`%${who.marker}%`])).length >
          0,
      'events about the customer to be published',
    );
    return { customerId, conversations, inboundWamid, retryingId: retrying.id as string };
  }

  it('erases every trace of a customer from every table and the queues, and says what it removed', async () => {
    const who = person();
    const other = person();
    // A client system subscribed to every event, failing each delivery with the body it got: its
    // deliveries and their attempts (which keep the answer) hold the customer's data.
    const receiver = await startWebhookReceiver((res, received) =>
      answer(500, { 'content-type': 'application/json' }, received.raw)(res, received, 0),
    );
    const endpoint = await api().request('POST', '/api/webhook-endpoints', { url: receiver.url });
    expect(endpoint.status).toBe(201);
    const { customerId, conversations, inboundWamid, retryingId } = await seedEverywhere(who);
    await waitFor(
      async () =>
        (
          await sql(`SELECT 1 FROM webhook_delivery_attempts WHERE response_body LIKE $1`, [
            `%${who.marker}%`,
          ])
        ).length > 0,
      'a webhook delivery about the customer to be tried',
    );
    // Disabled, it keeps its deliveries (deleting it would take them along) but sends no more.
    const endpointPath = `/api/webhook-endpoints/${endpoint.body.id}`;
    expect((await api().request('PATCH', endpointPath, { status: 'disabled' })).status).toBe(200);
    await receiver.close();
    // Someone else's data stays untouched.
    await postWhatsapp(
      api(),
      whatsappText({ from: other.digits, body: `hello ${other.marker}`, name: other.name }),
    );
    const needles = [who.marker, who.phone, who.digits, who.email];
    expect((await columnsMentioning(needles)).length).toBeGreaterThan(5);
    expect(existsSync(storedFile(stack.env, who.scan))).toBe(true);

    const response = await api().request('DELETE', `/api/customers/${customerId}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      erased: {
        conversations: 4,
        messages: 8,
        attachments: 1,
        receipts: 1,
        inbound_events: 5,
        events: expect.any(Number),
        webhook_deliveries: expect.any(Number),
      },
    });
    expect(response.body.erased.webhook_deliveries).toBeGreaterThan(0);
    await api().request('DELETE', endpointPath);
    expect(response.body.erased.events).toBeGreaterThanOrEqual(4 + 8);
    expect(await columnsMentioning(needles)).toEqual([]);
    expect(existsSync(storedFile(stack.env, who.scan))).toBe(false);
    expect(await columnsMentioning([customerId])).toEqual(['events.data (1)']);
    for (const conversation of conversations) {
      expect(await columnsMentioning([conversation.id])).toEqual([]);
    }
    expect(await redisKeysMentioning(stack.env, needles)).toEqual([]);
    expect(await outboundJob(stack.env, 'web', retryingId)).toBeUndefined();
    expect(await columnsMentioning([other.marker])).not.toEqual([]);

    // The one event left about them is customer.erased, with their id only.
    await waitFor(everyEventPublished, 'the erasure event to be published');
    const [erased] = await sql(
      `SELECT type, conversation_id, data FROM events
                                 WHERE data::text LIKE $1`,
      [`%${customerId}%`],
    );
    expect(erased).toEqual({
      type: 'customer.erased',
      conversation_id: null,
      data: { customer_id: customerId },
    });
    expect((await api().request('GET', `/api/customers/${customerId}`)).status).toBe(404);
    expect((await api().request('DELETE', `/api/customers/${customerId}`)).status).toBe(404);

    // A provider's retry of an erased message does not bring it back; a new message from the
    // same phone makes a new customer.
    const retried = whatsappText({ from: who.digits, id: inboundWamid, body: 'retry' });
    retried.entry[0].changes[0].value.messages[0].timestamp = '1700000999';
    expect((await postWhatsapp(api(), retried)).status).toBe(200);
    expect(
      await sql('SELECT 1 FROM messages WHERE provider_message_id = $1', [inboundWamid]),
    ).toEqual([]);
    await postWhatsapp(api(), whatsappText({ from: who.digits, body: 'me again' }));
    const [again] = await sql('SELECT id, name FROM customers WHERE phone = $1', [who.phone]);
    expect(again.id).not.toBe(customerId);
  });

  it('never sends a pending message of an erased customer, even one in flight when erased', async () => {
    const who = person();
    const customer = await api().request('POST', '/api/customers', {
      name: who.name,
      phone: who.phone,
    });
    const conversation = await createConversation(api(), 'whatsapp', {
      customer_id: customer.body.id,
    });
    // The first message fails once and waits for its retry; the stand-in holds the second one's
    // send until after the erasure has answered (within the 2 s OUTBOUND_HTTP_TIMEOUT_MS).
    stack.whatsapp.enqueue({ status: 503, body: { error: { code: 131016, message: 'down' } } });
    const waiting = await stack.send(conversation.id, 'whatsapp', { body: `wait ${who.marker}` });
    await stack.waitForStatus(waiting.id, ['retrying']);
    stack.whatsapp.setDelay(1_500);
    const inFlight = await stack.send(conversation.id, 'whatsapp', { body: `now ${who.marker}` });
    await waitFor(() => stack.whatsapp.requests.length === 2, 'the second send to reach WhatsApp');

    const response = await api().request('DELETE', `/api/customers/${customer.body.id}`);
    expect(response.status).toBe(200);
    expect(response.body.erased.messages).toBe(2);
    const sentAtAnswer = stack.whatsapp.requests.length;

    // The held send finishes; nothing else goes out, and nothing about it is written back.
    await waitFor(() => stack.whatsapp.accepted.length === 1, 'the held send to be answered');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sentAtAnswer).toBe(2);
    expect(stack.whatsapp.requests).toHaveLength(2);
    const ids = [waiting.id, inFlight.id];
    expect(await sql('SELECT id FROM messages WHERE id = ANY($1)', [ids])).toEqual([]);
    expect(await sql('SELECT id FROM message_attempts WHERE message_id = ANY($1)', [ids])).toEqual(
      [],
    );
    const queue = outboundQueue(stack.env, 'whatsapp');
    expect(await queue.getJob(waiting.id)).toBeUndefined();
    // The held send's outcome found no row to write to, which is no error: its job just ends.
    const job = (await queue.getJob(inFlight.id))!;
    expect(await job.getState()).toBe('completed');
    await queue.close();
    expect(await columnsMentioning([who.marker, who.phone, who.digits])).toEqual([]);
  });

  it('keeps no personal data from receipts that arrive for an erased customer’s messages', async () => {
    const who = person();
    const created = await api().request('POST', '/api/customers', {
      name: who.name,
      phone: who.phone,
    });
    const customerId: string = created.body.id;
    const whatsapp = await createConversation(api(), 'whatsapp', { customer_id: customerId });
    const sms = await createConversation(api(), 'sms', { customer_id: customerId });
    const toWhatsapp = await stack.send(whatsapp.id, 'whatsapp', { body: `hi ${who.marker}` });
    const toSms = await stack.send(sms.id, 'sms', { body: `hi ${who.marker}` });
    const wamid: string = (await stack.waitForStatus(toWhatsapp.id, ['sent'])).provider_message_id;
    const smsSid: string = (await stack.waitForStatus(toSms.id, ['sent'])).provider_message_id;
    expect((await api().request('DELETE', `/api/customers/${customerId}`)).status).toBe(200);

    // Late reports naming their number: WhatsApp's recipient_id, Twilio's To.
    const read = whatsappStatus(wamid, 'read', 1_700_000_500);
    read.entry[0].changes[0].value.statuses[0].recipient_id = who.digits;
    expect((await postWhatsapp(api(), read)).status).toBe(200);
    const delivered = {
      ...fixture('twilio/status-callback.json'),
      MessageSid: smsSid,
      SmsSid: smsSid,
      To: who.phone,
    };
    expect((await postTwilio(api(), '/api/webhooks/sms/status', delivered)).status).toBe(200);

    expect(
      await sql('SELECT id FROM message_receipts WHERE provider_message_id = ANY($1)', [
        [wamid, smsSid],
      ]),
    ).toEqual([]);
    expect(await columnsMentioning([who.phone, who.digits, who.marker])).toEqual([]);
  });

  it('keeps no personal data from a provider’s retry of an erased customer’s message', async () => {
    const who = person();
    const wamid = uniqueWamid();
    const sent = whatsappText({ from: who.digits, id: wamid, body: `hello ${who.marker}` });
    expect((await postWhatsapp(api(), sent)).status).toBe(200);
    const [customer] = await sql<{ id: string }>('SELECT id FROM customers WHERE phone = $1', [
      who.phone,
    ]);
    expect((await api().request('DELETE', `/api/customers/${customer.id}`)).status).toBe(200);

    // WhatsApp did not see our 200 and sends the same message again, with a new timestamp.
    const retry = whatsappText({ from: who.digits, id: wamid, body: `hello ${who.marker}` });
    retry.entry[0].changes[0].value.messages[0].timestamp = String(1_700_000_999);
    expect((await postWhatsapp(api(), retry)).status).toBe(200);

    expect(await sql('SELECT id FROM customers WHERE phone = $1', [who.phone])).toEqual([]);
    expect(await columnsMentioning([who.phone, who.digits, who.marker])).toEqual([]);
  });

  it('an inbound message racing an erasure makes a new customer, never a failed raw event', async () => {
    const who = person();
    await postWhatsapp(api(), whatsappText({ from: who.digits, body: `first ${who.marker}` }));
    const [customer] = await sql<{ id: string }>('SELECT id FROM customers WHERE phone = $1', [
      who.phone,
    ]);
    // The erasure is held just before it removes the customer, with their rows locked.
    const holder = new Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    const lockKey = 918_273_645;
    await holder.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await sql(`CREATE OR REPLACE FUNCTION test_hold_erasure() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN PERFORM pg_advisory_xact_lock(${lockKey}); RETURN OLD; END $$`);
    await sql(`CREATE TRIGGER test_hold_erasure BEFORE DELETE ON customers FOR EACH ROW
                 WHEN (OLD.id = '${customer.id}') EXECUTE FUNCTION test_hold_erasure()`);
    try {
      const erasing = api().request('DELETE', `/api/customers/${customer.id}`);
      await waitFor(
        async () =>
          (await sql(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).length >
          0,
        'the erasure to reach the customer',
      );
      const racing = postWhatsapp(
        api(),
        whatsappText({ from: who.digits, body: `racing ${who.marker}` }),
      );
      await waitFor(
        async () =>
          (
            await sql(`SELECT 1 FROM pg_stat_activity
                        WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO inbound_events%'`)
          ).length > 0,
        'the inbound message to wait for the erasure',
      );
      await holder.query('SELECT pg_advisory_unlock($1)', [lockKey]);
      expect((await erasing).status).toBe(200);
      expect((await racing).status).toBe(200);
    } finally {
      await sql('DROP TRIGGER IF EXISTS test_hold_erasure ON customers');
      await sql('DROP FUNCTION IF EXISTS test_hold_erasure()');
      await holder.end();
    }

    const [again] = await sql<{ id: string }>('SELECT id FROM customers WHERE phone = $1', [
      who.phone,
    ]);
    expect(again.id).not.toBe(customer.id);
    expect(await sql('SELECT body FROM messages WHERE customer_id = $1', [again.id])).toEqual([
      { body: `racing ${who.marker}` },
    ]);
    expect(
      await sql(`SELECT status FROM inbound_events WHERE payload LIKE $1`, [`%${who.marker}%`]),
    ).toEqual([{ status: 'processed' }]);
  });

  it('exports everything stored about a customer, with attempts, receipts and attachment records', async () => {
    const conversation = await createConversation(api(), 'whatsapp');
    const message = await stack.send(conversation.id, 'whatsapp', { body: 'export me' });
    const sent = await stack.waitForStatus(message.id, ['sent']);
    await postWhatsapp(api(), whatsappStatus(sent.provider_message_id, 'read', 1_700_000_100));
    await stack.waitForStatus(message.id, ['read']);

    const response = await api().request(
      'GET',
      `/api/customers/${conversation.customer_id}/export`,
    );

    expect(response.status).toBe(200);
    const customer = (await api().request('GET', `/api/customers/${conversation.customer_id}`))
      .body;
    const stored = (await api().request('GET', `/api/messages/${message.id}`)).body;
    expect(response.body).toEqual({
      customer,
      conversations: [(await api().request('GET', `/api/conversations/${conversation.id}`)).body],
      messages: [
        {
          ...stored,
          attachments: [],
          attempts: [expect.objectContaining({ attempt: 1, outcome: 'sent' })],
          receipts: [expect.objectContaining({ status: 'read', receipt_status: 'read' })],
        },
      ],
    });
    const unknown = '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12';
    expect((await api().request('GET', `/api/customers/${unknown}/export`)).status).toBe(404);
  });
});

describe('Data lifecycle: retention (real worker pruning with retention in seconds)', () => {
  let stack: OutboundStack;
  const SECONDS = (n: number) => String(n / 86_400);

  beforeAll(async () => {
    // No worker yet: the test stores what it needs first, then starts one that prunes.
    stack = await startOutboundStack(
      {
        ...INBOUND_SECRETS,
        RETENTION_EVENTS_DAYS: SECONDS(2),
        RETENTION_INBOUND_EVENTS_DAYS: SECONDS(2),
        RETENTION_IDEMPOTENCY_HOURS: String(2 / 3600),
        RETENTION_MESSAGES_DAYS: SECONDS(2),
        RETENTION_PRUNE_INTERVAL_MS: '300',
        OUTBOUND_RETRY_DELAYS_MS: '60000',
      },
      { worker: false },
    );
  });
  afterAll(async () => {
    await stack.stop();
    // The test database is shared by the files that run after this one, and their readers ask
    // for events after seqs this file's pruning passed.
    await sql('UPDATE event_retention SET pruned_through = 0');
    await closeDb();
  });

  it('prunes expired events, raw webhooks, idempotency records and final messages, and keeps dedup', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    const wamid = uniqueWamid();
    const from = uniqueWaId();
    expect((await postWhatsapp(stack.api, whatsappText({ from, id: wamid }))).status).toBe(200);
    const idempotent = await stack.api.request(
      'POST',
      '/api/messages',
      { conversation_id: conversation.id, direction: 'outbound', channel: 'whatsapp', body: 'x' },
      { 'idempotency-key': `key-${wamid}` },
    );
    expect(idempotent.status).toBe(202);
    // Messages the worker still owes a send are never pruned, whatever their age.
    const smsConversation = await createConversation(stack.api, 'sms');
    stack.twilio.enqueue({ status: 503, body: { code: 20500, message: 'down' } });
    const owed = await stack.send(smsConversation.id, 'sms', { body: 'owed' });
    const [{ last_seq: lastSeqBefore }] = await sql('SELECT last_seq FROM event_sequence');

    // It is sent first (a pending message stays), then pruned: it is older than 2 s by then.
    const worker = await stack.startWorker();
    await waitFor(
      async () =>
        (await sql('SELECT 1 FROM messages WHERE id = $1', [idempotent.body.id])).length === 0 &&
        (await sql('SELECT 1 FROM inbound_events WHERE payload LIKE $1', [`%${wamid}%`])).length ===
          0,
      'the sent message and the raw webhook to be pruned',
      20_000,
    );
    expect(stack.whatsapp.accepted).toHaveLength(1);
    expect(await sql('SELECT 1 FROM messages WHERE provider_message_id = $1', [wamid])).toEqual([]);
    expect(
      await sql('SELECT 1 FROM message_attempts WHERE message_id = $1', [idempotent.body.id]),
    ).toEqual([]);
    expect(await sql('SELECT 1 FROM idempotency_keys WHERE key = $1', [`key-${wamid}`])).toEqual(
      [],
    );
    const [stillOwed] = await sql('SELECT status FROM messages WHERE id = $1', [owed.id]);
    expect(['queued', 'sending', 'retrying']).toContain(stillOwed?.status);
    // Logged at the end of the pass, after the other kinds: a moment after these rows went.
    await waitFor(() => /retention pruned/.test(worker.output()), 'the pass to be logged', 10_000);

    // A provider's retry, days later in its eyes, still finds the message already stored.
    const retried = whatsappText({ from, id: wamid });
    retried.entry[0].changes[0].value.messages[0].timestamp = '1700000999';
    expect((await postWhatsapp(stack.api, retried)).status).toBe(200);
    expect(await sql('SELECT 1 FROM messages WHERE provider_message_id = $1', [wamid])).toEqual([]);
    expect(
      await sql(
        `SELECT 1 FROM inbound_message_keys
          WHERE channel = 'whatsapp' AND provider_message_digest = sha256(convert_to($1, 'UTF8'))`,
        [wamid],
      ),
    ).toHaveLength(1);

    // Readers resuming from before the pruned part are told, with where the log now starts.
    const pruned = await waitFor(async () => {
      const [row] = await sql('SELECT pruned_through FROM event_retention');
      return Number(row.pruned_through) >= Number(lastSeqBefore) && Number(row.pruned_through);
    }, 'events to be pruned');
    const gone = await stack.api.request('GET', '/api/events?after=0');
    expect(gone.status).toBe(410);
    expect(gone.body).toEqual({
      statusCode: 410,
      error: 'events_pruned',
      oldest_seq: expect.any(Number),
      message: expect.stringMatching(/pruned/),
    });
    expect(gone.body.oldest_seq).toBeGreaterThan(pruned);
    const [{ pruned_through: now }] = await sql('SELECT pruned_through FROM event_retention');
    expect((await stack.api.request('GET', `/api/events?after=${now}`)).status).toBe(200);
    // A reader without a position gets what is kept, from the oldest kept event on.
    const fresh = (await stack.api.request('POST', '/api/customers', { name: 'after pruning' }))
      .body;
    const fromOldest = await waitFor(async () => {
      const page = await stack.api.request('GET', '/api/events?limit=200');
      return page.body.data.some((event: any) => event.data.id === fresh.id) && page.body.data;
    }, 'the new customer.created event');
    expect(fromOldest.every((event: any) => event.seq > Number(now))).toBe(true);

    const socket = await connectEvents(stack.api.url, { last_seq: 0 });
    try {
      const [warning] = await socket.waitForEvents(
        1,
        (event: any) => event.error === 'events_pruned',
      );
      expect(warning).toEqual({
        error: 'events_pruned',
        oldest_seq: expect.any(Number),
        message: expect.stringMatching(/pruned/),
      });
    } finally {
      socket.close();
    }
  });
});
