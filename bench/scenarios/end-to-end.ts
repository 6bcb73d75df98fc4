import { db, deleteQueueKeys, resetDatabase } from '../lib/data';
import { LoadResult, runLoad } from '../lib/load';
import { cpuBetween, cpuSnapshot } from '../lib/cpu';
import { flushProfiles, runningChildren, waitFor } from '../lib/processes';
import { settings } from '../lib/settings';
import { StandIn, startApi, startWorker } from '../lib/stack';
import { authHeaders, outboundMessageBody } from './http-load';

export interface EndToEndRun {
  label: string;
  messages: number;
  /** Sent messages per second, from the first POST to the last `sent`. */
  perSecond: number;
  /** Seconds from POST (the row's created_at) to `sent` (its sent_at). */
  p50: number;
  p99: number;
  accept: LoadResult;
  unsent: number;
  offeredRate?: number;
  /** CPU seconds per part of the box from the first POST to the last `sent` (see cpu.ts). */
  cpu: Record<string, number>;
}

export interface EndToEndResult {
  flood: EndToEndRun;
  paced: EndToEndRun;
}

async function sentSince(since: Date): Promise<number> {
  const { rows } = await db().query<{ n: string }>(
    `SELECT count(*) AS n FROM messages
      WHERE direction = 'outbound' AND status = 'sent' AND created_at >= $1`,
    [since],
  );
  return Number(rows[0].n);
}

async function measure(
  label: string,
  url: string,
  next: () => { path: string; body: string },
  messages: number,
  overallRate?: number,
): Promise<EndToEndRun> {
  const startedAt = new Date();
  const cpuBefore = cpuSnapshot();
  const accept = await runLoad({
    url,
    // autocannon paces each connection at a whole number of requests per second, so a paced
    // run uses few enough connections for the rate to divide among them.
    connections: overallRate
      ? Math.max(1, Math.min(settings.connections, Math.floor(overallRate / 10)))
      : settings.connections,
    amount: messages,
    overallRate,
    headers: authHeaders(),
    next,
  });
  await waitFor(
    `${accept.ok} messages sent`,
    async () => (await sentSince(startedAt)) >= accept.ok,
    Math.max(180_000, messages * 20),
    200,
  );
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(), runningChildren());
  const { rows } = await db().query<{
    sent: string;
    unsent: string;
    last_sent: Date;
    p50: number;
    p99: number;
  }>(
    `SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
            count(*) FILTER (WHERE status <> 'sent') AS unsent,
            max(sent_at) AS last_sent,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) AS p99
       FROM messages WHERE direction = 'outbound' AND created_at >= $1`,
    [startedAt],
  );
  const row = rows[0];
  const seconds = (row.last_sent.getTime() - startedAt.getTime()) / 1000;
  return {
    label,
    messages: Number(row.sent),
    perSecond: Number(row.sent) / seconds,
    p50: Number(row.p50),
    p99: Number(row.p99),
    accept,
    unsent: Number(row.unsent),
    offeredRate: overallRate,
    cpu,
  };
}

/**
 * 3. The API and one worker on this one machine, accepting and delivering at once. First as fast
 * as 50 connections can post (the queue grows, so POST→sent latency is mostly waiting in it),
 * then at 70 % of the rate that run delivered, the load a deployment should be sized for.
 */
export async function runEndToEnd(standIn: StandIn): Promise<EndToEndResult> {
  const conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  await standIn.reset();
  const api = await startApi(standIn);
  const worker = await startWorker(standIn);
  try {
    const next = () => ({ path: '/api/messages', body: outboundMessageBody(conversations) });
    await measure('warm-up', api.url, next, 1_000);
    const flood = await measure('flood', api.url, next, settings.messages);
    const rate = Math.max(10, Math.round(flood.perSecond * 0.7));
    const paced = await measure(
      'paced',
      api.url,
      next,
      Math.max(1_000, Math.round(settings.messages / 2)),
      rate,
    );
    if (settings.profile) await flushProfiles([api.child, worker]);
    return { flood, paced };
  } finally {
    await Promise.all([api.child.stop(), worker.stop()]);
    await standIn.reset();
    await deleteQueueKeys();
  }
}
