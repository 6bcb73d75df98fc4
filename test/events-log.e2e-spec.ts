import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ENTITIES } from '../src/app/entities';
import { dataSourceOptions } from '../src/platform/database/data-source-options';
import { EventLog } from '../src/modules/events/event-log';
import { EventRecord } from '../src/modules/events/event-record.entity';
import type { EventResponse } from '../src/modules/events/dto/event.dto';
import { ApiHarness, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { INBOUND_ENV, postWhatsapp, uniqueWaId, whatsappText } from './support/inbound-webhooks';
import { TEST_DATABASE_URL, testEnv } from './support/test-env';
import { waitFor } from './support/wait-for';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Event log (GET /api/events)', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi(testEnv(INBOUND_ENV));
  });
  afterAll(async () => {
    await api.close();
    await closeDb();
  });

  /** Every event of a conversation once the relay has published them, oldest first. */
  async function conversationEvents(conversationId: string, count: number) {
    return waitFor(async () => {
      const page = await api.request('GET', `/api/events?conversation_id=${conversationId}`);
      return page.body.data.length >= count && (page.body.data as EventResponse[]);
    }, `${count} events of conversation ${conversationId}`);
  }

  it('records each REST change once, in order, with the public JSON of the resource', async () => {
    const customer = await createCustomer(api);
    const conversation = await createConversation(api, 'sms', { customer_id: customer.id });
    const message = await api.request('POST', '/api/messages', {
      conversation_id: conversation.id,
      direction: 'inbound',
      channel: 'sms',
      body: 'Where is my order?',
    });
    expect(message.status).toBe(201);
    const closed = await api.request('PATCH', `/api/conversations/${conversation.id}`, {
      status: 'closed',
    });
    expect(closed.status).toBe(200);

    const events = await conversationEvents(conversation.id, 3);
    expect(events.map((event) => event.type)).toEqual([
      'conversation.created',
      'message.created',
      'conversation.updated',
    ]);
    expect(events[0].data).toEqual(conversation);
    expect(events[1].data).toEqual(message.body);
    expect(events[2]).toMatchObject({ previous_status: 'open', data: closed.body });
    expect(events[1].seq).toBeGreaterThan(events[0].seq);
    expect(events[2].seq).toBeGreaterThan(events[1].seq);
    expect(new Date(events[0].created_at).toISOString()).toBe(events[0].created_at);

    const customerEvent = await waitFor(async () => {
      const from = Math.max(0, events[0].seq - 50);
      const page = await api.request('GET', `/api/events?after=${from}&limit=200`);
      return (page.body.data as EventResponse[]).find(
        (event) => event.type === 'customer.created' && event.data.id === customer.id,
      );
    }, 'the customer.created event');
    expect(customerEvent).toMatchObject({ conversation_id: null, data: customer });
    expect(customerEvent.seq).toBeLessThan(events[0].seq);
  });

  it('pages with after, limit and next_cursor, and refuses bad input with 400', async () => {
    const conversation = await createConversation(api, 'web');
    await api.request('PATCH', `/api/conversations/${conversation.id}`, { status: 'closed' });
    await api.request('PATCH', `/api/conversations/${conversation.id}`, { status: 'open' });
    const all = await conversationEvents(conversation.id, 3);

    const first = await api.request(
      'GET',
      `/api/events?conversation_id=${conversation.id}&limit=2`,
    );
    expect(first.body.data.map((event: EventResponse) => event.seq)).toEqual([
      all[0].seq,
      all[1].seq,
    ]);
    expect(first.body.next_cursor).toBe(String(all[1].seq));
    const rest = await api.request(
      'GET',
      `/api/events?conversation_id=${conversation.id}&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(rest.body).toEqual({ data: [all[2]], next_cursor: null });
    const after = await api.request(
      'GET',
      `/api/events?conversation_id=${conversation.id}&after=${all[0].seq}`,
    );
    expect(after.body.data).toEqual(all.slice(1));

    for (const query of ['after=-1', 'after=abc', 'limit=201', 'limit=0', 'conversation_id=42']) {
      const refused = await api.request('GET', `/api/events?${query}`);
      expect(refused.status).toBe(400);
    }
  });

  it('records an inbound message with the customer and conversation it created', async () => {
    const from = uniqueWaId();
    const response = await postWhatsapp(api, whatsappText({ from, body: 'Hi there' }));
    expect(response.status).toBe(200);
    const [message] = await waitFor(async () => {
      const rows = await sql(
        `SELECT id, conversation_id, customer_id FROM messages
          WHERE customer_id IN (SELECT id FROM customers WHERE phone = $1)`,
        [`+${from}`],
      );
      return rows.length > 0 && rows;
    }, 'the inbound message');
    const events = await conversationEvents(message.conversation_id, 2);
    expect(events.map((event) => event.type)).toEqual(['conversation.created', 'message.created']);
    const stored = await api.request('GET', `/api/messages/${message.id}`);
    expect(events[1].data).toEqual(stored.body);
    // The webhook's statement builds these payloads in SQL: they must be the API's resources.
    const conversation = await api.request('GET', `/api/conversations/${message.conversation_id}`);
    expect(events[0].data).toEqual(conversation.body);

    const [customerEvent] = await sql(
      `SELECT seq, data FROM events WHERE type = 'customer.created' AND data->>'id' = $1`,
      [message.customer_id],
    );
    expect(Number(customerEvent.seq)).toBeLessThan(events[0].seq);
    const customer = await api.request('GET', `/api/customers/${message.customer_id}`);
    expect(customerEvent.data).toEqual(customer.body);
  });

  it('holds the log back only for transactions that write to it, never for others', async () => {
    // Two transactions left open on their own connections: one changed a customer, one appended
    // to the log. Events are published only once every append before them has ended.
    const elsewhere = new DataSource({
      ...dataSourceOptions({ databaseUrl: TEST_DATABASE_URL }),
      entities: ENTITIES,
    });
    await elsewhere.initialize();
    const unrelated = elsewhere.createQueryRunner();
    const appender = elsewhere.createQueryRunner();
    try {
      const bystander = await createCustomer(api);
      await unrelated.startTransaction();
      await unrelated.query(`UPDATE customers SET name = name WHERE id = $1`, [bystander.id]);

      const first = await createConversation(api, 'sms', {
        customer_id: (await createCustomer(api)).id,
      });
      // Published although the other transaction holds an id and row locks.
      await conversationEvents(first.id, 1);

      await appender.startTransaction();
      const held = randomUUID();
      await new EventLog(elsewhere.getRepository(EventRecord)).append(appender.manager, {
        type: 'conversation.updated',
        conversationId: held,
        data: { id: held },
      });
      const second = await createConversation(api, 'sms', {
        customer_id: (await createCustomer(api)).id,
      });
      await sleep(1_000);
      const early = await api.request('GET', `/api/events?conversation_id=${second.id}`);
      expect(early.body.data).toEqual([]);

      await appender.commitTransaction();
      const [heldEvent] = await conversationEvents(held, 1);
      const [secondEvent] = await conversationEvents(second.id, 1);
      expect(Number(heldEvent.seq)).toBeLessThan(Number(secondEvent.seq));
    } finally {
      if (unrelated.isTransactionActive) await unrelated.rollbackTransaction();
      if (appender.isTransactionActive) await appender.rollbackTransaction();
      await unrelated.release();
      await appender.release();
      await elsewhere.destroy();
    }
  });

  it('never lets a reader skip an event while transactions commit out of order', async () => {
    // Appends straight through EventLog in transactions that sleep before committing, so seq
    // order and commit order disagree; a rolled-back one must leave no trace.
    const dataSource = new DataSource({
      ...{ ...dataSourceOptions({ databaseUrl: TEST_DATABASE_URL }), entities: ENTITIES },
      extra: { max: 24 },
    });
    await dataSource.initialize();
    const log = new EventLog(dataSource.getRepository(EventRecord));
    const conversationId = randomUUID();
    const committed = new Set<string>();
    const rolledBack = new Set<string>();
    const writers = 20;
    const transactionsPerWriter = 8;

    let writing = true;
    const writersDone = Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let n = 0; n < transactionsPerWriter; n++) {
          const marks = Array.from({ length: 1 + (n % 3) }, (_, k) => `${writer}.${n}.${k}`);
          const rollBack = (writer + n) % 7 === 0;
          try {
            await dataSource.transaction(async (manager) => {
              await sleep(Math.random() * 15);
              for (const mark of marks) {
                await log.append(manager, {
                  type: 'message.updated',
                  conversationId,
                  data: { mark },
                });
                await sleep(Math.random() * 10);
              }
              if (rollBack) throw new Error('rolled back on purpose');
            });
            marks.forEach((mark) => committed.add(mark));
          } catch (error) {
            if (!rollBack) throw error;
            marks.forEach((mark) => rolledBack.add(mark));
          }
        }
      }),
    ).finally(() => (writing = false));

    const received: EventResponse[] = [];
    let after = 0;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const stillWriting = writing;
      const page = await api.request(
        'GET',
        `/api/events?conversation_id=${conversationId}&after=${after}&limit=200`,
      );
      expect(page.status).toBe(200);
      received.push(...page.body.data);
      if (page.body.data.length > 0) after = page.body.data[page.body.data.length - 1].seq;
      if (!stillWriting && received.length >= committed.size) break;
      await sleep(5);
    }
    await writersDone;
    await dataSource.destroy();

    const seqs = received.map((event) => event.seq);
    const marks = received.map((event) => event.data.mark as string);
    expect(rolledBack.size).toBeGreaterThan(0);
    expect(committed.size).toBeGreaterThan(100);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
    expect(new Set(marks).size).toBe(marks.length);
    expect([...marks].sort()).toEqual([...committed].sort());
    // What the reader got is the whole story: nothing appeared behind its cursor afterwards.
    const [stored] = await sql(
      `SELECT count(*)::int AS count FROM events WHERE conversation_id = $1`,
      [conversationId],
    );
    expect(stored.count).toBe(committed.size);
  });
});
