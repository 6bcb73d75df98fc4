import { randomBytes } from 'node:crypto';
import { pngBytes, sha256 } from './support/attachment-files';
import { sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { INBOUND_ENV, postWhatsapp, uniqueWaId, whatsappImage } from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { PrivateRedisCluster } from './support/private-redis-cluster';
import { testQueue } from './support/queues';
import { waitFor } from './support/wait-for';
import { answer, startWebhookReceiver, WEBHOOK_TEST_ENV } from './support/webhook-receiver';
import { startWorker } from './support/worker-harness';
import { header } from './stand-ins/http-stand-in';

/**
 * Six nodes on 21000-21005 and their cluster bus on 31000-31005: below the kernel's ephemeral
 * range (32768-60999), so no client connection can hold one by chance (one did, at 42010).
 */
const FIRST_PORT = 21_000;
const PREFIX = `{cluster-${randomBytes(4).toString('hex')}}`;
const BACKLOG = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WEB_RATE_LIMIT = 25;

describe('Redis Cluster: three primaries with a replica each (REDIS_CLUSTER_NODES)', () => {
  let cluster: PrivateRedisCluster;
  let stack: OutboundStack;

  beforeAll(async () => {
    cluster = await PrivateRedisCluster.start(FIRST_PORT);
    // Endpoints earlier files left behind would receive this file's events too.
    await sql(`DELETE FROM webhook_endpoints`);
    stack = await startOutboundStack(
      {
        REDIS_CLUSTER_NODES: cluster.nodesVariable,
        // Unused in cluster mode: nothing listens there.
        REDIS_URL: 'redis://127.0.0.1:9',
        QUEUE_PREFIX: PREFIX,
        SMS_RATE_LIMIT_PER_SECOND: '4',
        WEB_RATE_LIMIT_PER_SECOND: String(WEB_RATE_LIMIT),
        WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
        ...WEBHOOK_TEST_ENV,
      },
      { worker: false },
    );
  }, 60_000);

  afterAll(async () => {
    try {
      await sql(`DELETE FROM webhook_endpoints`);
      // Known: after a primary's crash the worker's SIGTERM shutdown has been seen to hang over
      // 60 s (BullMQ's idle workers reconnecting their cluster clients); the messages are all
      // settled by then, so a worker still there after 15 s is killed.
      await Promise.all(
        stack?.workers.map((worker) =>
          Promise.race([worker.stop(), sleep(15_000).then(() => worker.kill())]),
        ) ?? [],
      );
      await stack?.stop();
    } finally {
      await cluster?.stop();
    }
  }, 60_000);

  it('refuses to start with a QUEUE_PREFIX that has no {hash tag}, naming it', async () => {
    await expect(startWorker({ ...stack.env, QUEUE_PREFIX: 'omni' })).rejects.toThrow(
      /exited with 78[\s\S]*config error: QUEUE_PREFIX must hold a \{hash tag\} when REDIS_CLUSTER_NODES is set, e\.g\. "\{omni\}"/,
    );
  });

  it('sends high priority ahead of a backlog and low after it; the sweeper restores a lost job', async () => {
    const sms = await createConversation(stack.api, 'sms');
    for (let i = 0; i < 4; i++) await stack.send(sms.id, 'sms', { body: `normal ${i}` });
    await stack.send(sms.id, 'sms', { body: 'low', priority: 'low' });
    await stack.send(sms.id, 'sms', { body: 'high', priority: 'high' });
    // A job Redis lost (a failover that took the last writes with it): only the row is left.
    const web = await createConversation(stack.api, 'web');
    const orphan = await stack.send(web.id, 'web', { body: 'job lost' });
    const queue = testQueue(stack.env, 'outbound-web');
    try {
      await queue.remove(orphan.id);
      expect(await queue.getJob(orphan.id)).toBeUndefined();
    } finally {
      await queue.close();
    }

    const worker = await stack.startWorker({ OUTBOUND_CONCURRENCY: '1' });
    const order = (await stack.twilio.waitForAccepted(6, 20_000)).map((r) => r.form?.Body);
    expect(order).toEqual(['high', 'normal 0', 'normal 1', 'normal 2', 'normal 3', 'low']);
    await stack.waitForStatus(orphan.id, ['sent']);
    expect(stack.web.accepted.map((r) => header(r, 'webhook-id'))).toEqual([orphan.id]);
    await worker.stop();
  });

  describe('with a worker', () => {
    beforeAll(async () => {
      await stack.startWorker();
    }, 60_000);
    beforeEach(() => {
      stack.whatsapp.reset();
      stack.twilio.reset();
      stack.web.reset();
      stack.smtp.reset();
    });

    it('delivers on all four channels', async () => {
      const messages = await Promise.all(
        (['whatsapp', 'sms', 'email', 'web'] as const).map(async (channel) =>
          stack.send((await createConversation(stack.api, channel)).id, channel),
        ),
      );
      for (const message of messages) await stack.waitForStatus(message.id, ['sent']);
      expect(stack.whatsapp.accepted).toHaveLength(1);
      expect(stack.twilio.accepted).toHaveLength(1);
      expect(stack.web.accepted).toHaveLength(1);
      expect(await stack.smtp.waitForMessages(1)).toHaveLength(1);
    });

    it('holds the per-channel rate limit', async () => {
      const conversation = await createConversation(stack.api, 'sms');
      for (let i = 0; i < 9; i++) await stack.send(conversation.id, 'sms', { body: `burst ${i}` });
      const times = (await stack.twilio.waitForAccepted(9, 20_000)).map((r) => r.receivedAt);
      // 4 per second: any five in a row straddle a window (less arrival jitter on a loaded box).
      for (let i = 0; i + 4 < times.length; i++) {
        expect(times[i + 4] - times[i]).toBeGreaterThanOrEqual(500);
      }
      expect(times[8] - times[0]).toBeGreaterThanOrEqual(1_500);
    });

    it('delivers outgoing webhooks within the endpoint rate limit', async () => {
      const receiver = await startWebhookReceiver(answer(204));
      try {
        const endpoint = await stack.api.request('POST', '/api/webhook-endpoints', {
          url: receiver.url,
          event_types: ['customer.created'],
          rate_limit_per_second: 2,
        });
        expect(endpoint.status).toBe(201);
        await Promise.all(Array.from({ length: 4 }, () => createCustomer(stack.api)));
        const times = (
          await waitFor(() => receiver.received.length >= 4 && receiver.received, '4 webhooks')
        ).map((webhook) => webhook.receivedAt);
        // The sliding window lives in the cluster: any three in a row span about a second. The
        // window is kept where requests start; arrivals jitter by a request's own time (873 ms was
        // seen on a loaded box), and an unlimited endpoint gets all four within milliseconds.
        expect(times[2] - times[0]).toBeGreaterThanOrEqual(750);
        expect(times[3] - times[1]).toBeGreaterThanOrEqual(750);
        expect(receiver.distinctIds().size).toBe(4);
        await stack.api.request('DELETE', `/api/webhook-endpoints/${endpoint.body.id}`);
      } finally {
        await receiver.close();
      }
    });

    it("fetches a WhatsApp customer's image in the worker", async () => {
      const png = pngBytes();
      const mediaId = stack.whatsapp.addMedia({ bytes: png, mimeType: 'image/png' });
      const from = uniqueWaId();
      expect((await postWhatsapp(stack.api, whatsappImage(from, mediaId, png))).status).toBe(200);
      const stored = await waitFor(async () => {
        const [row] = await sql(
          `SELECT a.status, a.sha256 FROM attachments a
             JOIN message_attachments l ON l.attachment_id = a.id
             JOIN messages m ON m.id = l.message_id
             JOIN customers c ON c.id = m.customer_id
            WHERE c.phone = $1`,
          [`+${from}`],
        );
        return row?.status === 'stored' && row;
      }, 'the image to be fetched');
      expect(stored.sha256).toBe(sha256(png));
    });

    it('answers readiness and shows the queues on Bull Board', async () => {
      const ready = await stack.api.request('GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(JSON.stringify(ready.body)).toContain('"redis":{"status":"up"}');
      const board = await stack.api.request('GET', '/admin/queues/api/queues');
      expect(board.status).toBe(200);
      expect(board.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual([
        'outbound-email',
        'outbound-sms',
        'outbound-web',
        'outbound-whatsapp',
      ]);
    });

    // The crash comes last: it leaves one primary without a replica.
    it.each([
      ['CLUSTER FAILOVER to its replica', 'manual'],
      ['its crash (the replica takes over, losing the writes it had not received)', 'crash'],
    ] as const)(
      `sends each of a ${BACKLOG}-message backlog exactly once across the queues' primary's %s`,
      async (_what, how) => {
        const conversation = await createConversation(stack.api, 'web');
        const ids: string[] = [];
        for (let batch = 0; batch < BACKLOG / 20; batch++) {
          const sent = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              stack.send(conversation.id, 'web', { body: `backlog ${batch * 20 + i}` }),
            ),
          );
          ids.push(...sent.map((message) => message.id));
        }
        const started = Date.now();
        await waitFor(() => stack.web.accepted.length >= BACKLOG / 4, 'a quarter of the backlog');
        const before = stack.web.accepted.length;
        const failoverAt = Date.now();
        const { from, to } = await cluster.failOver(PREFIX, how);
        const switched = Date.now();
        const firstAfter = await waitFor(
          () => stack.web.accepted.find((request) => request.receivedAt > switched),
          'a send after the failover',
          30_000,
        );
        await waitFor(
          async () => {
            const [{ count }] = await sql(
              `SELECT count(*)::int AS count FROM messages WHERE id = ANY($1) AND status = 'sent'`,
              [ids],
            );
            return count === BACKLOG;
          },
          `all ${BACKLOG} messages to reach sent`,
          60_000,
        );
        const finished = Date.now();

        const backlog = new Set(ids);
        const requests = stack.web.requests.filter((r) => backlog.has(header(r, 'webhook-id')!));
        expect(requests.map((r) => header(r, 'webhook-id')).sort()).toEqual([...ids].sort());
        const times = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
        const stall = Math.max(...times.slice(1).map((time, i) => time - times[i]));
        process.stdout.write(
          `cluster failover (${how}): primary ${from} -> ${to} after ${before} of ${BACKLOG} sends; ` +
            `failover took ${switched - failoverAt} ms, first send after it ${firstAfter.receivedAt - switched} ms later, ` +
            `longest pause between two sends ${stall} ms; ` +
            `backlog done in ${finished - started} ms at ${WEB_RATE_LIMIT}/s limit\n`,
        );
      },
    );
  });
});
