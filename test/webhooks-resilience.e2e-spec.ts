import { ApiHarness, startApi } from './support/api-harness';
import { closeDb, everyEventPublished, sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { startOutboundStack } from './support/outbound-stack';
import { PrivateRedis } from './support/private-redis';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait-for';
import {
  startWebhookReceiver,
  WEBHOOK_TEST_ENV,
  WebhookReceiver,
} from './support/webhook-receiver';
import { startWorker, WorkerHarness } from './support/worker-harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function registerEndpoint(
  api: ApiHarness,
  url: string,
  fields: Record<string, unknown> = {},
) {
  const response = await api.request('POST', '/api/webhook-endpoints', { url, ...fields });
  if (response.status !== 201) throw new Error(`endpoint refused: ${response.text}`);
  return response.body;
}

/** Creates `count` customers, a few at a time: one customer.created event each. */
async function createCustomers(api: ApiHarness, count: number): Promise<void> {
  for (let done = 0; done < count; done += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, count - done) }, () => createCustomer(api)),
    );
  }
}

// Real worker processes, hundreds of deliveries and a 15 s hold, on a shared box.
jest.setTimeout(240_000);

describe('Outgoing webhooks under faults', () => {
  const receivers: WebhookReceiver[] = [];
  const workers: WorkerHarness[] = [];
  let redis: PrivateRedis | undefined;
  let api: ApiHarness | undefined;

  beforeEach(async () => {
    await sql(`DELETE FROM webhook_endpoints`);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.kill()));
    // A test that failed while its Redis was down: bring it back so the API can close cleanly.
    await redis?.resume();
    await api?.close();
    api = undefined;
    await redis?.stop();
    redis = undefined;
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  afterAll(async () => {
    // Later files' workers must not keep trying these receivers.
    await sql(`DELETE FROM webhook_endpoints`);
    await closeDb();
  });

  it('a worker killed mid-fan-out loses no event: every one reaches every endpoint', async () => {
    const env = testEnv(WEBHOOK_TEST_ENV);
    api = await startApi(env);
    const endpoints = 3;
    const events = 300;
    for (let i = 0; i < endpoints; i++) {
      const receiver = await startWebhookReceiver();
      receivers.push(receiver);
      await registerEndpoint(api, receiver.url, { event_types: ['customer.created'] });
    }
    // The events exist before any worker runs, so the first one has a whole backlog to fan out.
    await createCustomers(api, events);
    const [{ last_seq: lastSeq }] = await sql(`SELECT last_seq FROM event_sequence`);
    await waitFor(everyEventPublished, 'every event to be published');

    // The fan-out starts while the worker boots: this one dies in or right after it.
    const early = await startWorker(env);
    workers.push(early);
    await early.kill();
    const doomed = await startWorker(env);
    workers.push(doomed);
    const total = () => receivers.reduce((sum, receiver) => sum + receiver.received.length, 0);
    await waitFor(() => total() >= 50, 'the first deliveries', 30_000, 5);
    await doomed.kill();
    const beforeCrash = total();
    expect(beforeCrash).toBeLessThan(endpoints * events);

    workers.push(await startWorker(env));
    await waitFor(
      () => receivers.every((receiver) => receiver.distinctIds().size === events),
      `${events} distinct events at each of ${endpoints} endpoints`,
      90_000,
    );
    const received = total();
    const duplicates = received - endpoints * events;
    // At least once: only what was in flight when the worker died may arrive twice.
    expect(duplicates).toBeLessThanOrEqual(50);
    console.log(
      `crash test: ${events} events x ${endpoints} endpoints; ${beforeCrash} received before the ` +
        `SIGKILL, ${received} in all, ${duplicates} duplicate(s) (same webhook-id), 0 lost`,
    );
    const rows = await sql(
      `SELECT count(*)::int AS deliveries, count(DISTINCT (endpoint_id, event_id))::int AS distinct
         FROM webhook_deliveries`,
    );
    expect(rows[0]).toEqual({ deliveries: endpoints * events, distinct: endpoints * events });
    const [cursor] = await sql(`SELECT last_seq FROM webhook_dispatch_cursor`);
    expect(Number(cursor.last_seq)).toBeGreaterThanOrEqual(Number(lastSeq));
  });

  it('a published event wakes the worker, also after its listening connection was cut', async () => {
    const pollMs = 8_000;
    const env = testEnv({ ...WEBHOOK_TEST_ENV, EVENT_WEBHOOK_POLL_INTERVAL_MS: String(pollMs) });
    // Behind PgBouncer in transaction mode nothing listens: the poll is all there is.
    const listening = env.DATABASE_POOL_MODE !== 'transaction';
    const listeners = () =>
      sql(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND query = 'LISTEN events_published'`,
      );
    api = await startApi(env);
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    await registerEndpoint(api, receiver.url, { event_types: ['customer.created'] });
    workers.push(await startWorker(env));

    const timeWebhook = async (what: string) => {
      if (listening)
        await waitFor(async () => (await listeners()).length > 0, 'a listener', 30_000);
      // The pass that followed the worker's start (or its reconnection) is over.
      await sleep(500);
      const expected = receiver.received.length + 1;
      const started = Date.now();
      await createCustomer(api!);
      await waitFor(() => receiver.received.length === expected, 'the webhook', 2 * pollMs);
      const elapsed = Date.now() - started;
      console.log(
        `wake test, ${what}: customer created → webhook in ${elapsed} ms (poll ${pollMs} ms)`,
      );
      if (listening) expect(elapsed).toBeLessThan(2_000);
    };

    await timeWebhook(listening ? 'listening' : 'polling only (transaction pool mode)');
    if (!listening) return;
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND query = 'LISTEN events_published'`);
    await waitFor(async () => (await listeners()).length === 0, 'the listener cut');
    await timeWebhook('listening again');
  });

  it('Redis down: webhooks keep flowing; a rate-limited endpoint waits and catches up', async () => {
    redis = await PrivateRedis.start();
    const env = testEnv({ ...WEBHOOK_TEST_ENV, REDIS_URL: redis.url });
    api = await startApi(env);
    const [free, limited] = [await startWebhookReceiver(), await startWebhookReceiver()];
    receivers.push(free, limited);
    await registerEndpoint(api, free.url, { event_types: ['customer.created'] });
    await registerEndpoint(api, limited.url, {
      event_types: ['customer.created'],
      rate_limit_per_second: 100,
    });
    workers.push(await startWorker(env));

    await redis.stop();
    const events = 60;
    await createCustomers(api, events);
    await waitFor(
      () => free.distinctIds().size === events,
      `${events} events without Redis`,
      30_000,
    );
    expect(limited.received).toHaveLength(0);

    await redis.resume();
    await waitFor(
      () => limited.distinctIds().size === events,
      `${events} events at the rate-limited endpoint after Redis returned`,
      30_000,
    );
    expect(free.received).toHaveLength(events);
  });

  it('a slow endpoint delays neither message delivery nor a fast endpoint', async () => {
    const stack = await startOutboundStack({
      ...WEBHOOK_TEST_ENV,
      EVENT_WEBHOOK_TIMEOUT_MS: '5000',
    });
    try {
      const holdMs = 15_000;
      const slow = await startWebhookReceiver((res) => {
        const timer = setTimeout(() => res.writeHead(204).end(), holdMs);
        res.on('close', () => clearTimeout(timer));
      });
      const fast = await startWebhookReceiver();
      receivers.push(slow, fast);
      const slowEndpoint = await registerEndpoint(stack.api, slow.url);
      await registerEndpoint(stack.api, fast.url);
      // A backlog far beyond one claim's worth, all due before anything the fast one gets.
      await createCustomer(stack.api);
      await waitFor(
        async () =>
          (
            await sql(
              `SELECT 1 FROM events WHERE seq <= (SELECT last_seq FROM event_sequence) LIMIT 1`,
            )
          ).length > 0,
        'a published event',
      );
      await sql(
        `INSERT INTO webhook_deliveries (endpoint_id, origin, event_id, seq, type, next_attempt_at)
         SELECT $1, 'replay', ev.id, ev.seq, ev.type, now() - interval '1 hour'
           FROM (SELECT id, seq, type FROM events WHERE seq IS NOT NULL ORDER BY seq LIMIT 1) ev,
                generate_series(1, 3000)`,
        [slowEndpoint.id],
      );

      const conversation = await createConversation(stack.api, 'web');
      const sendLatencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = Date.now();
        const message = await stack.send(conversation.id, 'web');
        await stack.waitForStatus(message.id, ['sent'], 10_000);
        sendLatencies.push(Date.now() - started);
        await sleep(100);
      }
      await waitFor(async () => {
        const [{ count }] = await sql(
          `SELECT count(*)::int AS count FROM webhook_deliveries d
               JOIN webhook_endpoints e ON e.id = d.endpoint_id
              WHERE e.url = $1 AND d.status = 'pending'`,
          [fast.url],
        );
        return count === 0;
      }, 'every event at the fast endpoint');
      // The slow endpoint holds its share of the slots and a backlog of the rest.
      expect(slow.maxInFlight()).toBeGreaterThanOrEqual(5);
      const lags = fast.received
        .map((webhook) => webhook.receivedAt - Date.parse(webhook.body.created_at))
        .sort((a, b) => a - b);
      const p50 = lags[Math.floor(lags.length / 2)];
      const p99 = lags[Math.floor(lags.length * 0.99)];
      console.log(
        `slow-endpoint test: ${fast.received.length} events at the fast endpoint, event→webhook ` +
          `p50 ${p50} ms, p99 ${p99} ms; ${slow.maxInFlight()} requests held by the slow one; ` +
          `send→sent max ${Math.max(...sendLatencies)} ms`,
      );
      expect(fast.received.length).toBeGreaterThanOrEqual(60);
      expect(p99).toBeLessThan(2_000);
      expect(Math.max(...sendLatencies)).toBeLessThan(3_000);
    } finally {
      await stack.stop();
    }
  });
});
