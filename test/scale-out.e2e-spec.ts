import { randomBytes } from 'node:crypto';
import { sql } from './support/db';
import {
  INBOUND_ENV,
  postWhatsapp,
  uniqueWaId,
  whatsappStatus,
  whatsappText,
} from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { PrivatePgbouncer } from './support/private-pgbouncer';
import { PrivateRedisCluster } from './support/private-redis-cluster';
import { TEST_DATABASE_URL } from './support/test-env';

/** Six nodes on 21010-21015 (cluster bus 31010-31015): apart from redis-cluster's, below the ephemeral range. */
const FIRST_PORT = 21_010;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Both scale-out paths at once, as docs/SCALING.md deploys them: the API and two workers on a
 * three-primary Redis Cluster and behind a transaction-mode PgBouncer with a pool of three
 * server connections, for one customer's whole path: a WhatsApp message in, a reply out, its
 * receipt back.
 */
describe('Redis Cluster and PgBouncer together: inbound, reply, receipt', () => {
  let cluster: PrivateRedisCluster;
  let pgbouncer: PrivatePgbouncer;
  let stack: OutboundStack;

  beforeAll(async () => {
    [cluster, pgbouncer] = await Promise.all([
      PrivateRedisCluster.start(FIRST_PORT),
      PrivatePgbouncer.start(TEST_DATABASE_URL, { poolSize: 3 }),
    ]);
    stack = await startOutboundStack(
      {
        REDIS_CLUSTER_NODES: cluster.nodesVariable,
        REDIS_URL: 'redis://127.0.0.1:9',
        QUEUE_PREFIX: `{scale-out-${randomBytes(4).toString('hex')}}`,
        DATABASE_URL: pgbouncer.urlFor(TEST_DATABASE_URL),
        DATABASE_POOL_MODE: 'transaction',
        WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
      },
      { worker: false },
    );
    await stack.startWorker();
    await stack.startWorker();
  }, 90_000);

  afterAll(async () => {
    try {
      await Promise.all(
        stack?.workers.map((worker) =>
          Promise.race([worker.stop(), sleep(15_000).then(() => worker.kill())]),
        ) ?? [],
      );
      await stack?.stop();
    } finally {
      await Promise.all([cluster?.stop(), pgbouncer?.stop()]);
    }
  }, 60_000);

  it('stores the message, sends the reply once, and applies its receipt', async () => {
    const from = uniqueWaId();
    const inbound = await postWhatsapp(
      stack.api,
      whatsappText({ from, body: 'Where is my order?' }),
    );
    expect(inbound.status).toBe(200);
    const [conversation] = await sql(
      `SELECT c.id FROM conversations c JOIN customers u ON u.id = c.customer_id WHERE u.phone = $1`,
      [`+${from}`],
    );
    expect(conversation).toBeDefined();

    const reply = await stack.send(conversation.id, 'whatsapp', { body: 'It ships today.' });
    const sent = await stack.waitForStatus(reply.id, ['sent']);
    const received = stack.whatsapp.accepted.filter(
      (request) => (request.json as { text?: { body?: string } }).text?.body === 'It ships today.',
    );
    expect(received).toHaveLength(1);

    const receipt = await postWhatsapp(
      stack.api,
      whatsappStatus(sent.provider_message_id, 'delivered', Math.floor(Date.now() / 1000)),
    );
    expect(receipt.status).toBe(200);
    const delivered = await stack.waitForStatus(reply.id, ['delivered']);
    expect(delivered.status).toBe('delivered');

    // Nothing lost a prepared statement behind the pool, in the API or either worker.
    const logs = stack.workers.map((worker) => worker.output()).join('\n');
    expect(logs).not.toMatch(/prepared statement .* does not exist/);
  });
});
