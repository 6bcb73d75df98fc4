import { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { OutboundQueue } from '../../src/modules/messaging/outbound.queue';
import { loadConfig } from '../../src/platform/config/app-config';
import { OUTBOUND_QUEUE, SEND_MESSAGE_JOB } from '../../src/platform/queue/queue-names';
import { bullmqConnection, redisClient } from '../../src/platform/queue/redis-connection';
import {
  db,
  deleteQueueKeys,
  insertQueuedMessages,
  PoolConversation,
  resetDatabase,
} from '../lib/data';
import { cpuBetween, cpuSnapshot } from '../lib/cpu';
import { Child, flushProfiles, runningChildren, sleep, waitFor } from '../lib/processes';
import { settings } from '../lib/settings';
import { productEnv, StandIn, startApi, startBareWorker, startWorker } from '../lib/stack';

export interface DrainResult {
  workers: number;
  messages: number;
  seconds: number;
  perSecond: number;
  /** Messages that did not end `sent` (product) or jobs that failed (bare). */
  failed: number;
  /** CPU seconds per part of the box while draining (see cpu.ts). */
  cpu: Record<string, number>;
}

export interface DeliverResult {
  bare: DrainResult;
  /** One worker with no API process running: a diagnostic, not how the product is deployed. */
  workerOnly: DrainResult;
  /** One and two workers with the API process up, as `npm start` and the worker run it. */
  one: DrainResult;
  two: DrainResult;
  /** one worker as deployed ÷ bare. */
  ratio: number;
  /** worker alone ÷ bare. */
  workerOnlyRatio: number;
  /** two workers as deployed ÷ one. */
  speedup: number;
}

const WARMUP_MESSAGES = 1_000;

function queue(name: string): Queue {
  return new Queue(name, {
    connection: bullmqConnection({ redisUrl: settings.redisUrl }),
    prefix: settings.queuePrefix,
  });
}

async function finishedCount(q: Queue): Promise<{ done: number; failed: number }> {
  const counts = await q.getJobCounts('completed', 'failed');
  return { done: counts.completed + counts.failed, failed: counts.failed };
}

/**
 * Jobs go onto a paused queue, the consumers start, and the clock runs from `resume` until every
 * job has finished: consumer start-up and the enqueueing itself are not timed. A first batch
 * warms the consumers (JIT, connections) and is not timed either.
 */
async function drain(
  q: Queue,
  addJobs: (count: number) => Promise<void>,
  workers: number,
  count: number,
): Promise<DrainResult> {
  await addJobs(WARMUP_MESSAGES);
  await q.resume();
  await waitFor(
    'warm-up jobs',
    async () => (await finishedCount(q)).done >= WARMUP_MESSAGES,
    120_000,
  );
  await q.pause();
  const before = await finishedCount(q);
  await addJobs(count);
  const cpuBefore = cpuSnapshot();
  const startedAt = performance.now();
  await q.resume();
  const timeoutMs = Math.max(180_000, count * 20);
  await waitFor(
    `${count} jobs`,
    async () => (await finishedCount(q)).done - before.done >= count,
    timeoutMs,
    50,
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(), runningChildren());
  const after = await finishedCount(q);
  return {
    workers,
    messages: count,
    seconds,
    perSecond: count / seconds,
    failed: after.failed - before.failed,
    cpu,
  };
}

async function drainBare(standIn: StandIn, count: number): Promise<DrainResult> {
  const q = queue('bare-deliver');
  await q.pause();
  const worker = await startBareWorker(standIn);
  try {
    return await drain(
      q,
      async (n) => {
        for (let start = 0; start < n; start += 1_000) {
          const jobs = Array.from({ length: Math.min(1_000, n - start) }, () => {
            const id = uuidv7();
            return {
              name: SEND_MESSAGE_JOB,
              data: { messageId: id, to: '14150000001' },
              opts: {
                jobId: id,
                priority: 2,
                attempts: 4,
                removeOnComplete: { age: 24 * 3600, count: 50_000 },
                removeOnFail: { age: 7 * 24 * 3600 },
              },
            };
          });
          await q.addBulk(jobs);
        }
      },
      1,
      count,
    );
  } finally {
    await worker.stop();
    await q.close();
  }
}

/**
 * Where the product's processes find Postgres and Redis. `open` runs on the fresh database, before
 * any process starts (a PgBouncer must not hold connections to the database the reset drops) and
 * answers their environment over productEnv; `close` stops what it started.
 */
export interface Deployment {
  open(): Promise<Record<string, string>>;
  close(): Promise<void>;
  /** Empties the queues of an earlier run. */
  clearQueues(): Promise<unknown>;
}

/** The environment's Postgres and Redis, straight. */
export const DIRECT: Deployment = {
  open: async () => ({}),
  close: async () => undefined,
  clearQueues: deleteQueueKeys,
};

export interface DrainOptions {
  workers: number;
  /** API processes beside the workers: 1 as deployed, 0 for the worker alone (a diagnostic). */
  apis: number;
  /** Changes the fresh database before the processes start (the senders scenario's senders). */
  prepare?: (conversations: PoolConversation[]) => Promise<void>;
  deployment?: Deployment;
}

/**
 * The product's queue as the processes configured by `env` see it: on one server BullMQ opens
 * and closes its own connection; a cluster client it is handed stays the caller's to quit.
 */
function productQueue(env: Record<string, string>): { queue: Queue; close(): Promise<void> } {
  const config = loadConfig(env);
  if (!config.redisClusterNodes) {
    const queue = new Queue(OUTBOUND_QUEUE.whatsapp, {
      connection: bullmqConnection(config),
      prefix: config.queuePrefix,
    });
    return { queue, close: () => queue.close() };
  }
  const client = redisClient(config);
  const queue = new Queue(OUTBOUND_QUEUE.whatsapp, {
    connection: client,
    prefix: config.queuePrefix,
  });
  return {
    queue,
    close: async () => {
      await queue.close();
      await client.quit();
    },
  };
}

/** N messages over the pool drained by the product's worker(s), with `apis` API processes up. */
export async function drainProduct(
  standIn: StandIn,
  count: number,
  { workers: workerCount, apis, prepare, deployment = DIRECT }: DrainOptions,
): Promise<DrainResult> {
  const conversations = await resetDatabase(settings.poolSize);
  await prepare?.(conversations);
  await deployment.clearQueues();
  const children: Child[] = [];
  let queue: ReturnType<typeof productQueue> | undefined;
  try {
    const where = await deployment.open();
    const env = { ...productEnv(standIn), ...where };
    queue = productQueue(env);
    const q = queue.queue;
    // The API's own job options (job id = message id, priority, attempts, retention).
    const options = new OutboundQueue(loadConfig(env), q, q, q, q);
    await q.pause();
    // Deployed, the API runs beside the workers: its relay numbers and reads every event the
    // deliveries append, and that work shares the box with them.
    for (let i = 0; i < apis; i++) children.push((await startApi(standIn, where)).child);
    for (let i = 0; i < workerCount; i++) children.push(await startWorker(standIn, i, where));
    const result = await drain(
      q,
      async (n) => {
        const ids = await insertQueuedMessages(conversations, n);
        for (let start = 0; start < ids.length; start += 1_000) {
          await q.addBulk(
            ids.slice(start, start + 1_000).map((id) => ({
              name: SEND_MESSAGE_JOB,
              data: { messageId: id },
              opts: options.jobOptions({ id, channel: 'whatsapp', priority: 'normal' }),
            })),
          );
        }
      },
      workerCount,
      count,
    );
    if (settings.profile) await flushProfiles(children);
    const { rows } = await db().query<{ unsent: string }>(
      `SELECT count(*) FILTER (WHERE status <> 'sent') AS unsent FROM messages WHERE direction = 'outbound'`,
    );
    return { ...result, failed: Math.max(result.failed, Number(rows[0].unsent)) };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await queue?.close();
    await deployment.close();
  }
}

/**
 * 2. N queued messages drained to the 20 ms stand-in: bare BullMQ, one worker alone (diagnostic),
 * then one and two workers with the API up, as deployed.
 */
export async function runDeliver(standIn: StandIn): Promise<DeliverResult> {
  await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  const drains: DrainResult[] = [];
  const runs: [workers: number, asDeployed: boolean][] = [
    [1, false],
    [1, true],
    [2, true],
  ];
  await standIn.reset();
  const bare = await drainBare(standIn, settings.messages);
  for (const [workers, asDeployed] of runs) {
    await standIn.reset();
    await sleep(500);
    drains.push(
      await drainProduct(standIn, settings.messages, { workers, apis: asDeployed ? 1 : 0 }),
    );
  }
  await standIn.reset();
  await deleteQueueKeys();
  const [workerOnly, one, two] = drains;
  return {
    bare,
    workerOnly,
    one,
    two,
    ratio: one.perSecond / bare.perSecond,
    workerOnlyRatio: workerOnly.perSecond / bare.perSecond,
    speedup: two.perSecond / one.perSecond,
  };
}
