import {
  analyze,
  countMessages,
  db,
  deleteQueueKeys,
  insertHistory,
  PoolConversation,
  resetDatabase,
} from '../lib/data';
import { LoadResult } from '../lib/load';
import { settings } from '../lib/settings';
import { Api, StandIn, startApi } from '../lib/stack';
import { authHeaders, outboundMessageBody, pick, warmThenMeasure } from './http-load';

export interface GrowthPoint {
  rows: number;
  accept: LoadResult;
  history: LoadResult;
  /** EXPLAIN ANALYZE of the statements behind the two endpoints: plan head and time (ms). */
  plans: { name: string; plan: string; ms: number }[];
}

export interface GrowthResult {
  small: GrowthPoint;
  large: GrowthPoint;
}

// The statements the two requests run, as TypeORM sends them (keyset page: limit + 1 rows).
const PLANS: { name: string; sql: string; param: (c: PoolConversation) => string }[] = [
  {
    name: 'history page',
    sql: `SELECT * FROM messages message WHERE message.conversation_id = $1
           ORDER BY message.id DESC LIMIT 51`,
    param: (c) => c.conversationId,
  },
  {
    name: 'WhatsApp window',
    sql: `SELECT max(created_at) AS last_inbound_at FROM messages
           WHERE customer_id = $1 AND channel = 'whatsapp' AND direction = 'inbound'`,
    param: (c) => c.customerId,
  },
];

async function explain(conversation: PoolConversation): Promise<GrowthPoint['plans']> {
  const plans: GrowthPoint['plans'] = [];
  for (const { name, sql, param } of PLANS) {
    const { rows } = await db().query<{ 'QUERY PLAN': string }>(`EXPLAIN ANALYZE ${sql}`, [
      param(conversation),
    ]);
    const lines = rows.map((row) => row['QUERY PLAN']);
    const time = /Execution Time: ([\d.]+) ms/.exec(lines.join('\n'));
    const nodes = lines
      .filter((line) => line.includes('(cost='))
      .map((line) =>
        line
          .replace(/\s*\(cost=.*$/, '')
          .replace(/^\s*->\s*/, '')
          .trim(),
      );
    plans.push({ name, plan: nodes.join(' → '), ms: time ? Number(time[1]) : NaN });
  }
  return plans;
}

async function measurePoint(api: Api, conversations: PoolConversation[]): Promise<GrowthPoint> {
  const rows = await countMessages();
  const fixedRate = {
    url: api.url,
    connections: 20,
    overallRate: settings.growthRate,
    headers: authHeaders(),
  };
  const accept = await warmThenMeasure(
    {
      ...fixedRate,
      next: () => ({ path: '/api/messages', body: outboundMessageBody(conversations) }),
    },
    settings.growthDurationS,
  );
  const history = await warmThenMeasure(
    {
      ...fixedRate,
      method: 'GET',
      next: () => ({
        path: `/api/conversations/${pick(conversations).conversationId}/messages?limit=50`,
      }),
    },
    settings.growthDurationS,
  );
  return { rows, accept, history, plans: await explain(pick(conversations)) };
}

/**
 * 5. Accept and conversation-history latency at a fixed request rate (latency, not throughput, is
 * the question) with a small and then a large messages table, seeded with SQL.
 */
export async function runGrowth(standIn: StandIn): Promise<GrowthResult> {
  const conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  await insertHistory(
    conversations,
    Math.max(0, settings.growthSmallRows - (await countMessages())),
  );
  await analyze();
  let api = await startApi(standIn);
  let small: GrowthPoint;
  try {
    small = await measurePoint(api, conversations);
  } finally {
    await api.child.stop();
  }
  await insertHistory(
    conversations,
    Math.max(0, settings.growthLargeRows - (await countMessages())),
  );
  await analyze();
  await deleteQueueKeys();
  api = await startApi(standIn);
  try {
    return { small, large: await measurePoint(api, conversations) };
  } finally {
    await api.child.stop();
    await deleteQueueKeys();
  }
}
