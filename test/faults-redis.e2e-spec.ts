import { sql } from './support/db';
import { createConversation } from './support/factories';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { PrivateRedis } from './support/private-redis';
import { outboundQueue } from './support/queues';
import { waitFor } from './support/wait-for';

const RANK: Record<string, number> = { high: 0, normal: 1, low: 2 };

/** How many times the web stand-in received each message (its webhook-id is the message id). */
function receivedCounts(stack: OutboundStack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of stack.web.requests) {
    const id = String(request.headers['webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function pendingCount(conversationId: string): Promise<number> {
  const [row] = await sql(
    `SELECT count(*)::int AS n FROM messages
      WHERE conversation_id = $1 AND status IN ('queued', 'retrying', 'sending')`,
    [conversationId],
  );
  return row.n;
}

describe('Guarantees when Redis fails (real worker processes)', () => {
  describe('Redis restarted empty under a backlog (production sweep interval and grace)', () => {
    let redis: PrivateRedis;
    let stack: OutboundStack;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      stack = await startOutboundStack({
        REDIS_URL: redis.url,
        OUTBOUND_CONCURRENCY: '1',
        WEB_RATE_LIMIT_PER_SECOND: '5000',
        // The defaults: what brings the backlog back is Redis returning, not a short interval.
        OUTBOX_SWEEP_INTERVAL_MS: undefined,
        OUTBOX_SWEEP_GRACE_MS: undefined,
      });
    });
    afterAll(async () => {
      await redis?.resume();
      await stack?.stop();
      await redis?.stop();
    });

    it('re-enqueues every pending message within 30 s of Redis returning, high priority first, each sent once', async () => {
      const conversation = await createConversation(stack.api, 'web');
      // Before the outage: one send held by the provider, five jobs waiting behind it in Redis.
      stack.web.setDelay(1_500);
      const queuedBefore = [];
      for (let i = 0; i < 6; i++) {
        queuedBefore.push(await stack.send(conversation.id, 'web', { body: `before ${i}` }));
      }
      await waitFor(() => stack.web.requests.length >= 1, 'the first send to reach the provider');
      await redis.stop();

      // During the outage: accepted at once, oldest low, newest high.
      const duringOutage = [];
      let slowest = 0;
      for (const priority of ['low', 'normal', 'high']) {
        for (let i = 0; i < 10; i++) {
          const started = Date.now();
          duringOutage.push(
            await stack.send(conversation.id, 'web', { body: `${priority} ${i}`, priority }),
          );
          slowest = Math.max(slowest, Date.now() - started);
        }
      }
      expect(slowest).toBeLessThan(1_000);
      expect(duringOutage.every((message) => message.status === 'queued')).toBe(true);
      // The held send finishes while Redis is away; its outcome is in Postgres.
      const heldId = String(stack.web.requests[0].headers['webhook-id']);
      await stack.waitForStatus(heldId, ['sent'], 10_000);
      stack.web.setDelay(0);
      const alreadyReceived = stack.web.requests.length;
      expect(await pendingCount(conversation.id)).toBe(35);

      await redis.resume();
      const returnedAt = Date.now();
      await waitFor(
        async () => (await pendingCount(conversation.id)) === 0,
        'every pending message to be sent',
        30_000,
      );
      const recoveredMs = Date.now() - returnedAt;
      process.stdout.write(`35 pending messages sent ${recoveredMs} ms after Redis returned\n`);
      expect(recoveredMs).toBeLessThan(30_000);

      await new Promise((resolve) => setTimeout(resolve, 500));
      const counts = receivedCounts(stack);
      const everyId = [...queuedBefore, ...duringOutage].map((message) => message.id);
      expect(new Set(counts.keys())).toEqual(new Set(everyId));
      expect([...counts.values()].every((count) => count === 1)).toBe(true);

      // One send at a time, so the provider saw the refilled queue in its priority order.
      const priorityOf = new Map(
        [...queuedBefore, ...duringOutage].map((message) => [message.id, message.priority]),
      );
      const order = stack.web.requests
        .slice(alreadyReceived)
        .map((request) => priorityOf.get(String(request.headers['webhook-id']))!);
      expect(order).toEqual([...order].sort((a, b) => RANK[a] - RANK[b]));
      expect(order.filter((priority) => priority === 'high')).toHaveLength(10);
      expect(order[0]).toBe('high');
    });

    it('puts 10 000 pending messages back on their queues within seconds of Redis returning', async () => {
      const conversation = await createConversation(stack.api, 'web');
      await redis.stop();
      // Time-ordered ids like the application's (UUIDv7): random ones would sort above every
      // later message in the shared database's newest-first lists.
      await sql(
        `INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, status,
                               priority)
         SELECT webhook_uuid_v7(), $1, $2, 'outbound', 'web', 'backlog ' || n, 'queued',
                (ARRAY['high', 'normal', 'low'])[1 + n % 3]
           FROM generate_series(1, 10000) AS n`,
        [conversation.id, conversation.customer_id],
      );
      // The worker sends while the sweeper refills: slow it down so the refill is what is timed.
      stack.web.setDelay(60_000);

      await redis.resume();
      const returnedAt = Date.now();
      const queue = outboundQueue(stack.env, 'web');
      try {
        const jobs = async () =>
          Object.values(
            await queue.getJobCounts(
              'prioritized',
              'waiting',
              'active',
              'delayed',
              'completed',
              'failed',
            ),
          ).reduce((sum, n) => sum + n, 0);
        await waitFor(
          async () => (await jobs()) >= 10_000,
          '10 000 jobs in the private Redis',
          30_000,
          100,
        );
        const recoveredMs = Date.now() - returnedAt;
        process.stdout.write(
          `10 000 pending messages re-enqueued ${recoveredMs} ms after Redis returned\n`,
        );
        expect(recoveredMs).toBeLessThan(30_000);
        // One job per message, however many passes ran.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(await jobs()).toBe(10_000);
      } finally {
        await queue.close();
        stack.web.setDelay(0);
        await sql(
          `UPDATE messages SET status = 'expired', last_error = 'recovery measurement'
            WHERE conversation_id = $1 AND status IN ('queued', 'retrying', 'sending')`,
          [conversation.id],
        );
      }
    });
  });

  describe('Redis restarted empty during a send', () => {
    let redis: PrivateRedis;
    let stack: OutboundStack;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      // The provider holds the send across the whole outage: no client timeout meanwhile.
      stack = await startOutboundStack({ REDIS_URL: redis.url, OUTBOUND_HTTP_TIMEOUT_MS: '20000' });
    });
    afterAll(async () => {
      await redis?.resume();
      await stack?.stop();
      await redis?.stop();
    });

    it('leaves the message in flight to its worker: sent once, not re-enqueued beside it', async () => {
      const conversation = await createConversation(stack.api, 'web');
      stack.web.setDelay(6_000);
      const message = await stack.send(conversation.id, 'web');
      await waitFor(() => stack.web.requests.length >= 1, 'the send to reach the provider');
      await redis.stop();
      await redis.resume();

      await stack.waitForStatus(message.id, ['sent'], 15_000);
      // Time for a second job, had the sweeper made one, to reach the provider.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect([...receivedCounts(stack)]).toEqual([[message.id, 1]]);
      const [row] = await sql('SELECT attempt_count FROM messages WHERE id = $1', [message.id]);
      expect(row.attempt_count).toBe(1);
    });
  });

  describe('a worker SIGKILLed mid-send, default lock settings', () => {
    let stack: OutboundStack;

    beforeAll(async () => {
      // The provider holds the send longer than the takeover takes: no client timeout meanwhile.
      stack = await startOutboundStack(
        { OUTBOUND_LOCK_DURATION_MS: undefined, OUTBOUND_HTTP_TIMEOUT_MS: '60000' },
        { worker: false },
      );
    });
    afterAll(() => stack?.stop());

    it('has its message taken over and sent within 30 s', async () => {
      const conversation = await createConversation(stack.api, 'web');
      const doomed = await stack.startWorker();
      stack.web.setDelay(60_000);
      const message = await stack.send(conversation.id, 'web');
      await waitFor(() => stack.web.requests.length >= 1, 'the send to reach the provider');
      const survivor = await stack.startWorker();
      await doomed.kill();
      const killedAt = Date.now();
      stack.web.setDelay(0);

      const sent = await stack.waitForStatus(message.id, ['sent'], 30_000);
      const takeoverMs = Date.now() - killedAt;
      process.stdout.write(`job of a SIGKILLed worker sent again after ${takeoverMs} ms\n`);
      expect(takeoverMs).toBeLessThan(30_000);
      expect(sent.attempt_count).toBe(2);
      expect([...receivedCounts(stack)]).toEqual([[message.id, 2]]);
      await survivor.stop();
    });
  });

  describe('a job that stalls too often', () => {
    let stack: OutboundStack;

    beforeAll(async () => {
      // No timed sweep during the test: the message must end failed through the worker itself.
      stack = await startOutboundStack(
        { OUTBOX_SWEEP_INTERVAL_MS: '600000', OUTBOUND_HTTP_TIMEOUT_MS: '60000' },
        { worker: false },
      );
    });
    afterAll(() => stack?.stop());

    it('ends its message failed, with the reason, when BullMQ gives up on it', async () => {
      const conversation = await createConversation(stack.api, 'web');
      stack.web.setDelay(60_000);
      const first = await stack.startWorker();
      const message = await stack.send(conversation.id, 'web');
      await waitFor(() => stack.web.requests.length >= 1, 'the first try to reach the provider');
      await first.kill();
      const second = await stack.startWorker();
      await waitFor(() => stack.web.requests.length >= 2, 'the second try to reach the provider');
      await second.kill();

      const third = await stack.startWorker();
      const failed = await stack.waitForStatus(message.id, ['failed'], 15_000);
      expect(failed.last_error).toBe('delivery job failed: job stalled more than allowable limit');
      expect(failed.failed_at).toEqual(expect.any(String));
      expect(stack.web.requests).toHaveLength(2);
      await third.stop();
    });
  });
});
