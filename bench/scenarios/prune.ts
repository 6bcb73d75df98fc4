import {
  analyze,
  db,
  deleteQueueKeys,
  insertHistory,
  PoolConversation,
  resetDatabase,
} from '../lib/data';
import { LoadResult } from '../lib/load';
import { settings } from '../lib/settings';
import { Api, StandIn, startApi, startWorker } from '../lib/stack';
import { authHeaders, JSON_HEADERS, outboundMessageBody, warmThenMeasure } from './http-load';
import { webhookFactory, webhookRequest } from './ingest';

export interface PrunePoint {
  accept: LoadResult;
  ingest: LoadResult;
  /** Expired rows still stored before and after the two measured runs. */
  expiredBefore: number;
  expiredAfter: number;
}

export interface PruneResult {
  seeded: Record<string, number>;
  /** One point per round; rounds alternate, so drift in the box's load hits both alike. */
  quiet: PrunePoint[];
  pruning: PrunePoint[];
}

const EXPIRED_DAYS_AGO = 60;
const BATCH = 200_000;

/** Retention off (the baseline) and the product defaults with message retention on. */
const RETENTION_OFF = {
  RETENTION_EVENTS_DAYS: '0',
  RETENTION_INBOUND_EVENTS_DAYS: '0',
  RETENTION_IDEMPOTENCY_HOURS: '0',
  RETENTION_WEBHOOK_DELIVERIES_DAYS: '0',
};
const RETENTION_ON = { RETENTION_MESSAGES_DAYS: '30', RETENTION_PRUNE_INTERVAL_MS: '1000' };

/**
 * Numbered message.updated events as the ledger appends them, 60 days old; the sequence moves past
 * them so the API numbers new events after.
 */
async function insertExpiredEvents(conversations: PoolConversation[], count: number) {
  for (let start = 1; start <= count; start += BATCH) {
    await db().query(
      `WITH c AS (
         SELECT conversation_id, customer_id, k
           FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS c(conversation_id, customer_id, k)
       )
       INSERT INTO events (seq, type, conversation_id, previous_status, data, created_at)
       SELECT n, 'message.updated', c.conversation_id, 'sent',
              jsonb_build_object('id', md5(n::text)::uuid, 'conversation_id', c.conversation_id,
                'customer_id', c.customer_id, 'direction', 'outbound', 'channel', 'whatsapp',
                'body', 'Your order #48213 has shipped and arrives tomorrow between 9 and 12.',
                'metadata', '{}'::jsonb, 'status', 'delivered', 'attempt_count', 1),
              now() - make_interval(days => $6) + n * interval '1 millisecond'
         FROM generate_series($3::bigint, $4::bigint) AS n JOIN c ON c.k = 1 + n % $5`,
      [
        conversations.map((c) => c.conversationId),
        conversations.map((c) => c.customerId),
        start,
        Math.min(start + BATCH - 1, count),
        conversations.length,
        EXPIRED_DAYS_AGO,
      ],
    );
  }
  // Appends draw their seq from events_seq_source: past the seeded ones, or they collide.
  await db().query(`SELECT setval('events_seq_source', $1)`, [count]);
  await db().query(`UPDATE event_sequence SET last_seq = $1`, [count]);
}

/** Raw WhatsApp webhooks, processed, 60 days old, with ids of that time (UUIDv7 order). */
async function insertExpiredInboundEvents(conversations: PoolConversation[], count: number) {
  for (let start = 0; start < count; start += BATCH) {
    await db().query(
      `WITH g AS (
         SELECT n, now() - make_interval(days => $5) + n * interval '1 millisecond' AS at,
                md5(n::text || 'raw') AS h
           FROM generate_series($1::bigint, $2::bigint) AS n
       )
       INSERT INTO inbound_events (id, provider, event_key, content_type, headers, payload, status,
                                   attempts, created_at, processed_at)
       SELECT (lpad(to_hex((extract(epoch FROM g.at) * 1000)::bigint), 12, '0') || '7'
                 || substr(g.h, 1, 3) || '8' || substr(g.h, 4, 15))::uuid,
              'whatsapp', g.h, 'application/json', '{}',
              '{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",'
                || '"value":{"contacts":[{"wa_id":"' || ($3::text[])[1 + g.n % $4] || '"}],'
                || '"messages":[{"id":"wamid.raw-' || g.n || '","type":"text","text":{"body":'
                || '"Hello, is my order on its way? It was due yesterday."}}]}}]}]}',
              'processed', 1, g.at, g.at
         FROM g`,
      [
        start,
        Math.min(start + BATCH, count) - 1,
        conversations.map((c) => c.waId),
        conversations.length,
        EXPIRED_DAYS_AGO,
      ],
    );
  }
}

async function countExpired(): Promise<number> {
  const { rows } = await db().query<{ n: string }>(
    `SELECT (SELECT count(*) FROM events WHERE created_at < now() - interval '30 days')
          + (SELECT count(*) FROM inbound_events WHERE created_at < now() - interval '30 days')
          + (SELECT count(*) FROM messages WHERE created_at < now() - interval '30 days') AS n`,
  );
  return Number(rows[0].n);
}

async function measurePoint(
  api: Api,
  standIn: StandIn,
  conversations: PoolConversation[],
  retention: Record<string, string>,
): Promise<PrunePoint> {
  // Both points run a worker delivering what is accepted; only its retention differs.
  const worker = await startWorker(standIn, 0, retention);
  try {
    const expiredBefore = await countExpired();
    const fixedRate = { url: api.url, connections: 20, overallRate: settings.growthRate };
    const accept = await warmThenMeasure(
      {
        ...fixedRate,
        headers: authHeaders(),
        next: () => ({ path: '/api/messages', body: outboundMessageBody(conversations) }),
      },
      settings.growthDurationS,
    );
    const webhook = webhookFactory(conversations);
    const ingest = await warmThenMeasure(
      {
        ...fixedRate,
        headers: JSON_HEADERS,
        next: () => webhookRequest(webhook),
      },
      settings.growthDurationS,
    );
    return { accept, ingest, expiredBefore, expiredAfter: await countExpired() };
  } finally {
    await worker.stop();
  }
}

/**
 * 6. Accept and ingest latency at a fixed rate while the worker prunes `BENCH_PRUNE_ROWS` expired
 * rows (60 % events, 20 % raw webhooks, 20 % messages), against the same load with retention off,
 * in `BENCH_PRUNE_ROUNDS` alternating rounds.
 */
export async function runPrune(standIn: StandIn): Promise<PruneResult> {
  const conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  const seeded = {
    events: Math.round(settings.pruneRows * 0.6),
    inbound_events: Math.round(settings.pruneRows * 0.2),
    messages: Math.round(settings.pruneRows * 0.2),
  };
  await insertExpiredEvents(conversations, seeded.events);
  await insertExpiredInboundEvents(conversations, seeded.inbound_events);
  await insertHistory(conversations, seeded.messages, EXPIRED_DAYS_AGO);
  await analyze();
  const api = await startApi(standIn);
  try {
    const result: PruneResult = { seeded, quiet: [], pruning: [] };
    for (let round = 0; round < settings.pruneRounds; round++) {
      result.quiet.push(await measurePoint(api, standIn, conversations, RETENTION_OFF));
      result.pruning.push(await measurePoint(api, standIn, conversations, RETENTION_ON));
    }
    return result;
  } finally {
    await api.child.stop();
    await deleteQueueKeys();
  }
}
