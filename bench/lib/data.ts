import { spawnSync } from 'node:child_process';
import { ENVIRONMENT_SENDER_IDS } from '../../src/shared/environment-senders';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client, Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { settings } from './settings';

/** The conversations every scenario talks to: one WhatsApp customer each, window open. */
export interface PoolConversation {
  conversationId: string;
  customerId: string;
  /** The customer's number as WhatsApp writes it (no "+"). */
  waId: string;
}

let pool: Pool | undefined;

export function db(): Pool {
  pool ??= new Pool({ connectionString: settings.databaseUrl, max: 4 });
  return pool;
}

export async function closeDb(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

export async function dropDatabase(): Promise<void> {
  await closeDb();
  const url = new URL(settings.databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** `npm run migrate` of the bench's build: creates the database and applies every migration. */
export function migrateDatabase(): void {
  const result = spawnSync(
    process.execPath,
    [join(settings.buildDir, 'platform', 'database', 'migrate.js')],
    {
      cwd: settings.root,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: settings.databaseUrl },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (result.status !== 0) throw new Error(`migration failed: ${result.stderr}${result.stdout}`);
}

/**
 * A new database from the migrations and stores the conversation pool again, so each
 * scenario starts from the same small database whatever ran before it.
 */
export async function resetDatabase(size: number): Promise<PoolConversation[]> {
  await dropDatabase();
  migrateDatabase();
  const conversations: PoolConversation[] = Array.from({ length: size }, (_, i) => ({
    conversationId: uuidv7(),
    customerId: uuidv7(),
    waId: `1415${String(i).padStart(7, '0')}`,
  }));
  const column = <K extends keyof PoolConversation>(key: K) => conversations.map((c) => c[key]);
  await db().query(
    `INSERT INTO customers (id, name, phone)
     SELECT id, 'Bench customer ' || n, '+' || wa_id
       FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(id, wa_id, n)`,
    [column('customerId'), column('waId')],
  );
  await db().query(
    `INSERT INTO conversations (id, customer_id, channel, sender_id, status)
     SELECT id, customer_id, 'whatsapp', '${ENVIRONMENT_SENDER_IDS.whatsapp}', 'open'
       FROM unnest($1::uuid[], $2::uuid[]) AS t(id, customer_id)`,
    [column('conversationId'), column('customerId')],
  );
  // One recent inbound message each: the WhatsApp reply window is open, as for a live chat.
  await db().query(
    `INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, status,
                           provider_message_id, created_at, updated_at)
     SELECT ($3::uuid[])[n], conversation_id, customer_id, 'inbound', 'whatsapp', 'Hi, where is my order?',
            'received', 'wamid.pool-' || n, now() - interval '1 minute', now() - interval '1 minute'
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(conversation_id, customer_id, n)`,
    [column('conversationId'), column('customerId'), conversations.map(() => uuidv7())],
  );
  await analyze();
  return conversations;
}

export async function analyze(): Promise<void> {
  await db().query('VACUUM ANALYZE');
}

/** Outbound WhatsApp messages in `queued`, as the API leaves them; returns their ids. */
export async function insertQueuedMessages(
  conversations: PoolConversation[],
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 5_000) {
    const chunk = Array.from({ length: Math.min(5_000, count - start) }, () => uuidv7());
    await db().query(
      `INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, recipient,
                             priority, status)
       SELECT t.id, c.conversation_id, c.customer_id, 'outbound', 'whatsapp',
              'Your order has shipped and arrives tomorrow.', '+' || c.wa_id, 'normal', 'queued'
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)
         JOIN unnest($2::uuid[], $3::uuid[], $4::text[]) WITH ORDINALITY
              AS c(conversation_id, customer_id, wa_id, k) ON c.k = 1 + t.n % $5`,
      [
        chunk,
        conversations.map((c) => c.conversationId),
        conversations.map((c) => c.customerId),
        conversations.map((c) => c.waId),
        conversations.length,
      ],
    );
    ids.push(...chunk);
  }
  return ids;
}

/**
 * History for the growth scenario, written with SQL rather than through the API: `count` more
 * messages spread over the pool, older than anything the bench sends, ids time-ordered like
 * uuidv7 so they sort and paginate as real ones do.
 */
export async function insertHistory(
  conversations: PoolConversation[],
  count: number,
  startDaysAgo = 30,
) {
  const batch = 200_000;
  for (let start = 0; start < count; start += batch) {
    await db().query(
      `WITH c AS (
         SELECT conversation_id, customer_id, wa_id, k
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY
                AS c(conversation_id, customer_id, wa_id, k)
       ), g AS (
         SELECT n, now() - make_interval(days => $8) + (n * interval '1 second') / 2 AS at,
                md5(n::text || $6) AS h
           FROM generate_series($4::bigint, $5::bigint) AS n
       )
       INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, recipient,
                             status, provider_message_id, created_at, updated_at, sent_at)
       SELECT (lpad(to_hex((extract(epoch FROM g.at) * 1000)::bigint), 12, '0') || '7'
                 || substr(g.h, 1, 3) || '8' || substr(g.h, 4, 15))::uuid,
              c.conversation_id, c.customer_id,
              CASE WHEN g.n % 2 = 0 THEN 'outbound' ELSE 'inbound' END, 'whatsapp',
              'Message number ' || g.n || ' of a long and busy conversation history.',
              CASE WHEN g.n % 2 = 0 THEN '+' || c.wa_id END,
              CASE WHEN g.n % 2 = 0 THEN 'sent' ELSE 'received' END,
              'wamid.history-' || $6 || '-' || g.n, g.at, g.at,
              CASE WHEN g.n % 2 = 0 THEN g.at END
         FROM g JOIN c ON c.k = 1 + g.n % $7`,
      [
        conversations.map((c) => c.conversationId),
        conversations.map((c) => c.customerId),
        conversations.map((c) => c.waId),
        start,
        Math.min(start + batch, count) - 1,
        `${Date.now()}`,
        conversations.length,
        startDaysAgo,
      ],
    );
  }
}

export async function countMessages(): Promise<number> {
  const { rows } = await db().query<{ n: string }>('SELECT count(*) AS n FROM messages');
  return Number(rows[0].n);
}

/** Deletes this run's BullMQ keys (and only them: the Redis is shared). */
export async function deleteQueueKeys(): Promise<number> {
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 3 });
  let deleted = 0;
  try {
    let cursor = '0';
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${settings.queuePrefix}:*`,
        'COUNT',
        1000,
      );
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
