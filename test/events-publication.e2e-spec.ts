import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EventResponse } from '../src/modules/events/dto/event.dto';
import { ApiHarness, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import { connectEvents, EventSocket } from './support/event-socket';
import { createCustomer } from './support/factories';
import { TEST_DATABASE_URL, testEnv } from './support/test-env';
import { waitFor } from './support/wait-for';
import {
  startWebhookReceiver,
  WEBHOOK_TEST_ENV,
  WebhookReceiver,
} from './support/webhook-receiver';
import { startWorker, WorkerHarness } from './support/worker-harness';

/** Appends one event in its own committed transaction, as the worker or an API would. */
async function appendEvent(client: Client, conversationId: string | null, data: object) {
  const [row] = (
    await client.query(
      `INSERT INTO events (type, conversation_id, data) VALUES ('customer.created', $1, $2)
       RETURNING seq`,
      [conversationId, data],
    )
  ).rows;
  return Number(row.seq);
}

/** A second session, as VACUUM, ANALYZE or retention would hold one. */
async function session(): Promise<Client> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  return client;
}

describe('Event publication waits on appends in flight only', () => {
  let api: ApiHarness;
  let socket: EventSocket;
  let holder: Client;

  beforeAll(async () => {
    api = await startApi(testEnv());
    socket = await connectEvents(api.url);
    holder = await session();
  });
  afterAll(async () => {
    await holder?.query('ROLLBACK').catch(() => undefined);
    await holder?.end();
    socket?.close();
    await api?.close();
    await closeDb();
  });

  /** A new customer reaches GET /api/events and the socket while `holder` keeps its lock. */
  async function expectPublishedWhileHeld() {
    const customer = await createCustomer(api);
    const isIt = (event: EventResponse) =>
      event.type === 'customer.created' && event.data.id === customer.id;
    const [viaSocket] = await socket.waitForEvents(1, isIt, 5_000);
    const page = await api.request('GET', `/api/events?after=${viaSocket.seq - 1}&limit=1`);
    expect(page.body.data).toEqual([viaSocket]);
  }

  it('goes on while a session holds the lock VACUUM and ANALYZE take', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE events IN SHARE UPDATE EXCLUSIVE MODE');
    await expectPublishedWhileHeld();
    await holder.query('ROLLBACK');
  });

  it('goes on while retention deletes old events in a long transaction', async () => {
    const old = randomUUID();
    for (let n = 0; n < 3; n++) await appendEvent(holder, old, { id: randomUUID() });
    await holder.query('BEGIN');
    const deleted = await holder.query(`DELETE FROM events WHERE conversation_id = $1`, [old]);
    expect(deleted.rowCount).toBe(3);
    await expectPublishedWhileHeld();
    await holder.query('ROLLBACK');
  });
});

describe('Outgoing webhooks with no API process running', () => {
  let worker: WorkerHarness | undefined;
  let receiver: WebhookReceiver;
  let writer: Client;

  beforeAll(async () => {
    await sql(`DELETE FROM webhook_endpoints`);
    receiver = await startWebhookReceiver();
    writer = await session();
  });
  afterAll(async () => {
    await worker?.stop();
    await receiver.close();
    await writer.end();
    await sql(`DELETE FROM webhook_endpoints`);
    await closeDb();
  });

  it('are published and sent by the worker alone', async () => {
    const env = testEnv(WEBHOOK_TEST_ENV);
    const api = await startApi(env);
    let endpointId: string;
    try {
      const endpoint = await api.request('POST', '/api/webhook-endpoints', {
        url: receiver.url,
        event_types: ['customer.created'],
      });
      expect(endpoint.status).toBe(201);
      endpointId = endpoint.body.id;
    } finally {
      await api.close();
    }
    worker = await startWorker(env);

    const id = randomUUID();
    const seq = await appendEvent(writer, null, { id });
    const [webhook] = await waitFor(
      () => receiver.received.length > 0 && receiver.received,
      'the webhook of an event appended while no API runs',
      10_000,
    );
    expect(webhook.body).toMatchObject({ seq, type: 'customer.created', data: { id } });
    const [delivery] = await waitFor(
      () =>
        sql(`SELECT status FROM webhook_deliveries WHERE endpoint_id = $1 AND status = $2`, [
          endpointId,
          'succeeded',
        ]).then((rows) => rows.length > 0 && rows),
      'the delivery to be succeeded',
    );
    expect(delivery.status).toBe('succeeded');
  });
});
