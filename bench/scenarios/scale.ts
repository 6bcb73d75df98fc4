import { Client } from 'pg';
import { analyze, db, deleteQueueKeys, PoolConversation, resetDatabase } from '../lib/data';
import { LoadResult, runLoad } from '../lib/load';
import { sleep, statementTimeoutsSeen } from '../lib/processes';
import { countRows, erasureCustomerId, listTargets, seedScale } from '../lib/scale-data';
import { settings } from '../lib/settings';
import { Api, StandIn, startApi, startWorker } from '../lib/stack';
import { authHeaders, JSON_HEADERS, outboundMessageBody, pick, warmThenMeasure } from './http-load';
import { webhookFactory, webhookRequest } from './ingest';

export const LIST_READS = ['messages', 'conversations', 'events', 'inbound events'] as const;
export type ListRead = (typeof LIST_READS)[number];

export interface ScalePoint {
  factor: number;
  /** Live rows per table after seeding (the pool and the erasure customer included). */
  rows: Record<string, number>;
  seedSeconds: number;
  databaseBytes: number;
  accept: LoadResult;
  ingest: LoadResult;
  reads: Record<ListRead, LoadResult>;
  erasure: { status: number; seconds: number; answer: string };
  retention: {
    accept: LoadResult;
    /** Messages past the retention window removed per second, and all expired rows. */
    messagesPrunedPerSecond: number;
    rowsPrunedPerSecond: number;
    expiredBefore: number;
    expiredAfter: number;
  };
  vacuumLag: { events: number; p50: number; p99: number; max: number; vacuums: number };
  /** "statement timeout" in the API's and workers' output while this point was measured. */
  statementTimeouts: number;
}

export interface ScaleResult {
  small: ScalePoint;
  large: ScalePoint;
}

const RETENTION_OFF = {
  RETENTION_EVENTS_DAYS: '0',
  RETENTION_INBOUND_EVENTS_DAYS: '0',
  RETENTION_IDEMPOTENCY_HOURS: '0',
  RETENTION_WEBHOOK_DELIVERIES_DAYS: '0',
};
/** Half of the seeded year is past these windows when the worker starts. */
export const RETENTION_DAYS = 180;
const RETENTION_SHORT = {
  RETENTION_EVENTS_DAYS: String(RETENTION_DAYS),
  RETENTION_INBOUND_EVENTS_DAYS: String(RETENTION_DAYS),
  RETENTION_WEBHOOK_DELIVERIES_DAYS: String(RETENTION_DAYS),
  RETENTION_MESSAGES_DAYS: String(RETENTION_DAYS),
  RETENTION_PRUNE_INTERVAL_MS: '1000',
};
/** Appends per second while the events table is vacuumed (each POST appends message.created). */
export const LAG_APPEND_RATE = 50;
const EVENT_PAGE = 200;

function log(text: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function percentile(sorted: number[], share: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))];
}

async function lastSeq(): Promise<number> {
  const { rows } = await db().query<{ seq: string }>(`SELECT max(seq) AS seq FROM events`);
  return Number(rows[0].seq ?? 0);
}

async function expired(): Promise<{ messages: number; rows: number }> {
  const { rows } = await db().query<{ messages: string; all_rows: string }>(
    `WITH cutoff AS (SELECT now() - make_interval(days => $1) AS at)
     SELECT (SELECT count(*) FROM messages, cutoff WHERE created_at < cutoff.at) AS messages,
            (SELECT count(*) FROM messages, cutoff WHERE created_at < cutoff.at)
          + (SELECT count(*) FROM events, cutoff WHERE created_at < cutoff.at)
          + (SELECT count(*) FROM inbound_events, cutoff WHERE created_at < cutoff.at)
          + (SELECT count(*) FROM webhook_deliveries, cutoff WHERE created_at < cutoff.at)
            AS all_rows`,
    [RETENTION_DAYS],
  );
  return { messages: Number(rows[0].messages), rows: Number(rows[0].all_rows) };
}

function acceptLoad(api: Api, conversations: PoolConversation[]) {
  return {
    url: api.url,
    connections: 20,
    overallRate: settings.growthRate,
    headers: authHeaders(),
    next: () => ({ path: '/api/messages', body: outboundMessageBody(conversations) }),
  };
}

async function measureReads(api: Api): Promise<Record<ListRead, LoadResult>> {
  const targets = await listTargets(500);
  const newest = await lastSeq();
  const paths: Record<ListRead, () => string> = {
    messages: () => `/api/messages?conversation_id=${pick(targets).conversation_id}&limit=50`,
    conversations: () => `/api/conversations?customer_id=${pick(targets).customer_id}&limit=50`,
    // A consumer catching up on the last few thousand events.
    events: () => `/api/events?after=${Math.max(0, newest - Math.floor(Math.random() * 5_000))}`,
    'inbound events': () => `/api/inbound-events?status=failed&limit=50`,
  };
  const reads = {} as Record<ListRead, LoadResult>;
  for (const name of LIST_READS) {
    reads[name] = await warmThenMeasure(
      {
        url: api.url,
        connections: 20,
        overallRate: settings.growthRate,
        method: 'GET',
        headers: authHeaders(),
        next: () => ({ path: paths[name]() }),
      },
      settings.growthDurationS,
    );
  }
  return reads;
}

/**
 * Appends events at a steady rate while `VACUUM (DISABLE_PAGE_SKIPPING) events` runs again and
 * again (every page read, as an anti-wraparound vacuum does), and times each event from its
 * created_at to the moment GET /api/events first shows it.
 */
async function measureVacuumLag(
  api: Api,
  conversations: PoolConversation[],
): Promise<ScalePoint['vacuumLag']> {
  let after = await lastSeq();
  const lags: number[] = [];
  let vacuuming = true;
  let vacuums = 0;
  const vacuumer = new Client({ connectionString: settings.databaseUrl });
  await vacuumer.connect();
  const vacuum = (async () => {
    while (vacuuming) {
      await vacuumer.query('VACUUM (DISABLE_PAGE_SKIPPING) events');
      vacuums++;
    }
  })();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const response = await fetch(`${api.url}/api/events?after=${after}&limit=${EVENT_PAGE}`, {
        headers: authHeaders(),
      });
      const page = (await response.json()) as { data?: { seq: number; created_at: string }[] };
      const seenAt = Date.now();
      for (const event of page.data ?? []) {
        lags.push(seenAt - Date.parse(event.created_at));
        after = event.seq;
      }
      if ((page.data?.length ?? 0) < EVENT_PAGE) await sleep(10);
    }
  })();
  try {
    await runLoad({
      ...acceptLoad(api, conversations),
      connections: 5,
      overallRate: LAG_APPEND_RATE,
      durationS: settings.growthDurationS,
    });
    vacuuming = false;
    await vacuum;
    // Whatever the vacuum held back is still owed: wait for it (and count its lag) up to 60 s.
    const appended = await lastSeq();
    for (let waited = 0; after < appended && waited < 60_000; waited += 100) await sleep(100);
  } finally {
    vacuuming = false;
    polling = false;
    await Promise.allSettled([vacuum, poll]);
    await vacuumer.end();
  }
  const sorted = [...lags].sort((a, b) => a - b);
  return {
    events: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    vacuums,
  };
}

async function timeErasure(api: Api): Promise<ScalePoint['erasure']> {
  const id = await erasureCustomerId();
  const started = performance.now();
  const response = await fetch(`${api.url}/api/customers/${id}`, {
    method: 'DELETE',
    headers: { authorization: authHeaders().authorization },
  });
  const answer = (await response.text()).slice(0, 300);
  return { status: response.status, seconds: (performance.now() - started) / 1000, answer };
}

async function measureRetention(
  api: Api,
  standIn: StandIn,
  conversations: PoolConversation[],
): Promise<ScalePoint['retention']> {
  const worker = await startWorker(standIn, 0, RETENTION_SHORT);
  const before = await expired();
  const started = performance.now();
  try {
    const accept = await warmThenMeasure(acceptLoad(api, conversations), settings.growthDurationS);
    const after = await expired();
    const seconds = (performance.now() - started) / 1000;
    return {
      accept,
      messagesPrunedPerSecond: (before.messages - after.messages) / seconds,
      rowsPrunedPerSecond: (before.rows - after.rows) / seconds,
      expiredBefore: before.rows,
      expiredAfter: after.rows,
    };
  } finally {
    await worker.stop();
  }
}

async function measureAt(factor: number, standIn: StandIn): Promise<ScalePoint> {
  const conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  const seedStarted = performance.now();
  log(`scale: seeding ${factor} of the contract's size`);
  await seedScale(factor, log);
  await analyze();
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  // Gigabytes just written are still dirty in shared buffers: without this the first
  // measurements pay for the seeding's writes (a checkpoint spread over the next minutes).
  await db().query('CHECKPOINT');
  const rows = await countRows();
  const { rows: size } = await db().query<{ bytes: string }>(
    `SELECT pg_database_size(current_database()) AS bytes`,
  );
  log(`scale: seeded in ${seedSeconds.toFixed(0)} s, ${Number(size[0].bytes) >> 20} MiB`);
  const timeoutsBefore = statementTimeoutsSeen();
  const api = await startApi(standIn);
  try {
    // Accept, ingest and the reads run beside a worker delivering what is accepted, retention off.
    const worker = await startWorker(standIn, 0, RETENTION_OFF);
    let accept: LoadResult;
    let ingest: LoadResult;
    let reads: Record<ListRead, LoadResult>;
    try {
      accept = await warmThenMeasure(acceptLoad(api, conversations), settings.growthDurationS);
      const webhook = webhookFactory(conversations);
      ingest = await warmThenMeasure(
        {
          url: api.url,
          connections: 20,
          overallRate: settings.growthRate,
          headers: JSON_HEADERS,
          next: () => webhookRequest(webhook),
        },
        settings.growthDurationS,
      );
      reads = await measureReads(api);
    } finally {
      await worker.stop();
    }
    const vacuumLag = await measureVacuumLag(api, conversations);
    const erasure = await timeErasure(api);
    const retention = await measureRetention(api, standIn, conversations);
    return {
      factor,
      rows,
      seedSeconds,
      databaseBytes: Number(size[0].bytes),
      accept,
      ingest,
      reads,
      erasure,
      retention,
      vacuumLag,
      statementTimeouts: statementTimeoutsSeen() - timeoutsBefore,
    };
  } finally {
    await api.child.stop();
    await deleteQueueKeys();
  }
}

/**
 * 8. The contract's production size (BENCH_SCALE_SIZE of it) against a small database
 * (BENCH_SCALE_SMALL of it), each seeded with SQL and measured alike: accept and ingest p99 at a
 * fixed rate, four list reads, the erasure of a customer with 1 000 messages, retention with
 * short windows under 300 messages/s, and event publication lag while VACUUM runs.
 */
export async function runScale(standIn: StandIn): Promise<ScaleResult> {
  const small = await measureAt(settings.scaleSmall, standIn);
  const large = await measureAt(settings.scaleSize, standIn);
  return { small, large };
}
