import { Queue } from 'bullmq';
import { OutboundQueue } from '../../src/modules/messaging/outbound.queue';
import { loadConfig } from '../../src/platform/config/app-config';
import { OUTBOUND_QUEUE, SEND_MESSAGE_JOB } from '../../src/platform/queue/queue-names';
import { bullmqConnection } from '../../src/platform/queue/redis-connection';
import {
  db,
  deleteQueueKeys,
  insertQueuedMessages,
  PoolConversation,
  resetDatabase,
} from '../lib/data';
import { cpuBetween, cpuSnapshot } from '../lib/cpu';
import { Child, runningChildren, sleep, startChild, waitFor } from '../lib/processes';
import { settings } from '../lib/settings';
import { productEnv, StandIn, startApi, startWorker } from '../lib/stack';
import { authHeaders } from './http-load';

export interface FanOutResult {
  endpoints: number;
  /** Messages sent during the latency phase, and the events their status changes made. */
  messages: number;
  events: number;
  /** Status change (the event's created_at) → arrival at a receiver, message.updated only. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** The replay of every event to every endpoint: deliveries per second. */
  deliveries: number;
  productPerSecond: number;
  barePerSecond: number;
  ratio: number;
  /** CPU seconds per part of the box during each throughput run (see cpu.ts). */
  productCpu: Record<string, number>;
  bareCpu: Record<string, number>;
}

const ENDPOINTS = 10;
/**
 * Messages per second offered in the latency phase (x 2 status changes x 10 endpoints = 100
 * deliveries/s): well inside what the webhooks keep up with, so the figure is the added
 * latency, not a backlog's.
 */
const PACED_MESSAGES_PER_SECOND = 5;

interface Receivers {
  child: Child;
  urls: string[];
  ask<T>(type: 'stats' | 'reset'): Promise<T>;
}

async function startReceivers(): Promise<Receivers> {
  const child = await startChild({
    name: 'receivers',
    args: ['bench/stand-in/webhook-receivers.ts'],
    typescript: true,
    ipc: true,
    readyText: 'receivers listening',
    env: { RECEIVERS: String(ENDPOINTS), RECEIVER_DELAY_MS: String(settings.providerDelayMs) },
  });
  const urls = /receivers listening (.+)/.exec(child.tail())![1].trim().split(' ');
  return {
    child,
    urls,
    ask: <T>(type: string) =>
      new Promise<T>((resolve) => {
        child.process.once('message', (message: T) => resolve(message));
        child.process.send({ type });
      }),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function scalar(sql: string): Promise<number> {
  const { rows } = await db().query(sql);
  return Number(Object.values(rows[0])[0]);
}

const pendingDeliveries = () =>
  scalar(`SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'`);

/** Real message traffic at a steady pace; each status change fans out to every endpoint. */
async function sendPaced(
  standIn: StandIn,
  conversations: PoolConversation[],
  messages: number,
): Promise<void> {
  const q = new Queue(OUTBOUND_QUEUE.whatsapp, {
    connection: bullmqConnection({ redisUrl: settings.redisUrl }),
    prefix: settings.queuePrefix,
  });
  const options = new OutboundQueue(loadConfig(productEnv(standIn)), q, q, q, q);
  try {
    for (let sent = 0; sent < messages; sent++) {
      const ids = await insertQueuedMessages(conversations, 1);
      await q.addBulk(
        ids.map((id) => ({
          name: SEND_MESSAGE_JOB,
          data: { messageId: id },
          opts: options.jobOptions({ id, channel: 'whatsapp', priority: 'normal' }),
        })),
      );
      await sleep(1000 / PACED_MESSAGES_PER_SECOND);
    }
  } finally {
    await q.close();
  }
}

async function bareDrain(
  receivers: Receivers,
  deliveries: number,
): Promise<{ perSecond: number; cpu: Record<string, number> }> {
  const q = new Queue('bare-webhooks', {
    connection: bullmqConnection({ redisUrl: settings.redisUrl }),
    prefix: settings.queuePrefix,
  });
  await q.pause();
  const { rows } = await db().query<{ body: string }>(
    `SELECT json_build_object('id', 'evt_' || seq, 'seq', seq, 'type', type,
              'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'conversation_id', conversation_id, 'data', data)::text AS body
       FROM events WHERE seq IS NOT NULL ORDER BY seq`,
  );
  const jobs = rows.flatMap(({ body }) =>
    receivers.urls.map((url) => ({
      name: 'post',
      data: { url, body },
      opts: { removeOnComplete: { count: 100_000 }, removeOnFail: { count: 100_000 } },
    })),
  );
  for (let start = 0; start < jobs.length; start += 1_000) {
    await q.addBulk(jobs.slice(start, start + 1_000));
  }
  const worker = await startChild({
    name: 'bare-webhook-worker',
    args: ['bench/bare/bare-webhook-worker.ts'],
    typescript: true,
    readyText: 'bare webhook worker started',
    env: {
      REDIS_URL: settings.redisUrl,
      QUEUE_PREFIX: settings.queuePrefix,
      EVENT_WEBHOOK_CONCURRENCY: String(settings.concurrency),
    },
  });
  try {
    const cpuBefore = cpuSnapshot();
    const startedAt = performance.now();
    await q.resume();
    await waitFor(
      `${deliveries} bare webhook posts`,
      async () => {
        const counts = await q.getJobCounts('completed', 'failed');
        return counts.completed + counts.failed >= deliveries;
      },
      Math.max(180_000, deliveries * 20),
      50,
    );
    const perSecond = deliveries / ((performance.now() - startedAt) / 1000);
    return { perSecond, cpu: cpuBetween(cpuBefore, cpuSnapshot(), runningChildren()) };
  } finally {
    await worker.stop();
    await q.obliterate({ force: true });
    await q.close();
  }
}

/**
 * 6. Outgoing webhooks: message traffic whose events go to 10 endpoints answering in 20 ms.
 * Latency phase: paced sends, time from each status change to its webhook. Throughput phase:
 * every event replayed to every endpoint, deliveries per second, against a bare BullMQ worker
 * POSTing the same bodies to the same receivers at the same concurrency.
 */
export async function runFanOut(standIn: StandIn): Promise<FanOutResult> {
  // A fresh database first: resetting recreates it, which must not happen under running processes.
  const conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  const receivers = await startReceivers();
  // Receivers are plain http on loopback: allowed outside production only, by the allow list.
  const webhookEnv = {
    NODE_ENV: 'development',
    EVENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    EVENT_WEBHOOK_CONCURRENCY: String(settings.concurrency),
  };
  const api = await startApi(standIn, webhookEnv);
  const worker = await startWorker(standIn, 0, webhookEnv);
  let result: Omit<FanOutResult, 'barePerSecond' | 'ratio' | 'bareCpu'>;
  try {
    const endpointIds: string[] = [];
    for (const url of receivers.urls) {
      const response = await fetch(`${api.url}/api/webhook-endpoints`, {
        method: 'POST',
        headers: authHeaders(),
        body: JSON.stringify({ url }),
      });
      if (response.status !== 201) throw new Error(`endpoint refused: ${await response.text()}`);
      endpointIds.push(((await response.json()) as { id: string }).id);
    }

    const messages = Math.max(100, Math.round(settings.messages / 40));
    await sendPaced(standIn, conversations, messages);
    await waitFor(
      'every paced message sent and its webhooks delivered',
      async () =>
        (await scalar(
          `SELECT count(*) FROM messages WHERE direction = 'outbound' AND status <> 'sent'`,
        )) === 0 &&
        (await scalar(
          `SELECT (SELECT last_seq FROM event_sequence) - (SELECT last_seq FROM webhook_dispatch_cursor)`,
        )) === 0 &&
        (await pendingDeliveries()) === 0,
      Math.max(180_000, messages * 100),
      200,
    );
    const stats = await receivers.ask<{ lagsMs: number[] }>('stats');
    const lags = [...stats.lagsMs].sort((a, b) => a - b);
    const events = await scalar(`SELECT count(*) FROM events WHERE seq IS NOT NULL`);

    await receivers.ask('reset');
    const deliveries = events * ENDPOINTS;
    const cpuBefore = cpuSnapshot();
    const startedAt = performance.now();
    for (const id of endpointIds) {
      await fetch(`${api.url}/api/webhook-endpoints/${id}/replay`, {
        method: 'POST',
        headers: authHeaders(),
        body: JSON.stringify({ after_seq: 0 }),
      });
    }
    await waitFor(
      `${deliveries} replayed deliveries`,
      async () => (await pendingDeliveries()) === 0,
      Math.max(180_000, deliveries * 20),
      50,
    );
    const seconds = (performance.now() - startedAt) / 1000;
    const productCpu = cpuBetween(cpuBefore, cpuSnapshot(), runningChildren());
    const { received } = await receivers.ask<{ received: number }>('stats');
    if (received < deliveries) throw new Error(`only ${received} of ${deliveries} received`);
    result = {
      endpoints: ENDPOINTS,
      messages,
      events,
      latencyP50Ms: percentile(lags, 0.5),
      latencyP99Ms: percentile(lags, 0.99),
      deliveries,
      productPerSecond: deliveries / seconds,
      productCpu,
    };
  } finally {
    await worker.stop();
    await api.child.stop();
  }
  await receivers.ask('reset');
  try {
    const bare = await bareDrain(receivers, result.deliveries);
    return {
      ...result,
      barePerSecond: bare.perSecond,
      bareCpu: bare.cpu,
      ratio: result.productPerSecond / bare.perSecond,
    };
  } finally {
    await receivers.child.stop();
    await deleteQueueKeys();
  }
}
