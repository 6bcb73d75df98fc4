import { db } from './data';
import { ENVIRONMENT_SENDER_IDS } from '../../src/shared/environment-senders';

/** The channel's environment sender, which every seeded conversation is held on. */
const ENVIRONMENT_SENDER_SQL = (channel: string) =>
  `CASE ${channel} ${Object.entries(ENVIRONMENT_SENDER_IDS)
    .map(([name, id]) => `WHEN '${name}' THEN '${id}'::uuid`)
    .join(' ')} END`;

/** The contract's "year of a busy deployment"; BENCH_SCALE_SIZE multiplies every count. */
export const CONTRACT_SIZE = {
  customers: 200_000,
  conversations: 250_000,
  messages: 2_000_000,
  inbound_events: 1_000_000,
  events: 10_000_000,
  webhook_deliveries: 500_000,
};

export type ScaleCounts = typeof CONTRACT_SIZE;

/** The customer the erasure measure removes, and how many messages they have. */
export const ERASURE_MESSAGES = 1_000;

const BATCH = 500_000;
const WEBHOOK_ENDPOINTS = 5;

export function scaledCounts(factor: number): ScaleCounts {
  const scaled = Object.entries(CONTRACT_SIZE).map(([table, count]) => [
    table,
    Math.max(10, Math.round(count * factor)),
  ]);
  return Object.fromEntries(scaled) as ScaleCounts;
}

/**
 * Helpers the seeding statements share, so that every table derives a row's ids, times and
 * owner from its number alone (no joins, no lookups): row i of n is at base − 1 year + i/n of
 * it, its id a UUIDv7 of that time (as new-id.ts makes them), and message m belongs to
 * conversation ⌈m·V/M⌉, which belongs to customer ⌈k·C/V⌉, so every owner is older than its rows.
 */
const HELPERS = `
CREATE OR REPLACE FUNCTION bench_at(i bigint, n bigint, base timestamptz) RETURNS timestamptz
  STABLE LANGUAGE sql AS $$ SELECT base - interval '365 days' * (1 - (i - 1)::float8 / n) $$;

CREATE OR REPLACE FUNCTION bench_uuid7(at timestamptz, key text) RETURNS uuid
  STABLE LANGUAGE sql AS $$
  SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7'
          || substr(md5(key), 1, 3) || '8' || substr(md5(key), 4, 15))::uuid $$;

-- A raw webhook's subject key, as intake writes it (src/modules/customer/subject-keys.ts).
CREATE OR REPLACE FUNCTION bench_subject_key(kind text, value text) RETURNS text
  IMMUTABLE LANGUAGE sql AS $$
  SELECT left(encode(sha256(convert_to(kind || ':' || value, 'UTF8')), 'hex'), 32) $$;

CREATE OR REPLACE FUNCTION bench_phone(j bigint) RETURNS text
  IMMUTABLE LANGUAGE sql AS $$ SELECT '+4477' || lpad(j::text, 8, '0') $$;

-- The k-th conversation's customer, and its channel: a customer's second one is SMS.
CREATE OR REPLACE FUNCTION bench_conversation(k bigint, v bigint, c bigint, base timestamptz)
  RETURNS TABLE (id uuid, customer bigint, channel text, at timestamptz)
  STABLE LANGUAGE sql AS $$
  SELECT bench_uuid7(bench_at(k, v, base), 'conversation' || k), 1 + (k - 1) * c / v,
         CASE WHEN k > 1 AND (k - 1) * c / v = (k - 2) * c / v THEN 'sms' ELSE 'whatsapp' END,
         bench_at(k, v, base) $$;

CREATE OR REPLACE FUNCTION bench_message(m bigint, total bigint, v bigint, c bigint,
  base timestamptz)
  RETURNS TABLE (id uuid, conversation_id uuid, customer_id uuid, channel text, direction text,
                 status text, body text, phone text, provider_message_id text, at timestamptz)
  STABLE LANGUAGE sql AS $$
  SELECT bench_uuid7(bench_at(m, total, base), 'message' || m), conv.id,
         bench_uuid7(bench_at(conv.customer, c, base), 'customer' || conv.customer), conv.channel,
         CASE WHEN m % 2 = 1 THEN 'inbound' ELSE 'outbound' END,
         CASE WHEN m % 2 = 1 THEN 'received' WHEN m % 50 = 0 THEN 'failed'
              WHEN m % 50 < 6 THEN 'sent' WHEN m % 50 < 26 THEN 'delivered' ELSE 'read' END,
         (ARRAY['Hi, where is my order? It was due yesterday.',
                'Your order #' || (40000 + m % 50000) || ' has shipped and arrives tomorrow '
                  || 'between 9 and 12. Reply STOP to opt out.',
                'Thanks!',
                'Can I change the delivery address to 14 Park Lane, flat 3? I will be at work '
                  || 'all week and the neighbours are away, so nobody can sign for it.',
                'We are sorry for the delay. A refund of the shipping cost has been issued to '
                  || 'your card ending 4242; it shows within 3 to 5 working days.',
                'ok'])[1 + m % 6],
         bench_phone(conv.customer),
         CASE WHEN m % 50 = 0 THEN NULL
              WHEN conv.channel = 'sms' THEN 'SM' || md5('message' || m)
              ELSE 'wamid.HBgL' || upper(md5('message' || m)) END,
         bench_at(m, total, base)
    FROM bench_conversation(1 + (m - 1) * v / total, v, c, base) AS conv $$;
`;

/**
 * Seeds the contract's tables at `factor` of its size with set-based INSERT … SELECT over
 * generate_series, in batches, into tables that already carry the migrations' indexes; then the
 * customer the erasure measure removes.
 */
export async function seedScale(factor: number, log: (text: string) => void): Promise<void> {
  const counts = scaledCounts(factor);
  const { customers: C, conversations: V, messages: M } = counts;
  const E = M * 5; // a message.created and up to four message.updated per message
  const R = Math.min(counts.inbound_events, Math.ceil(M / 2));
  const D = counts.webhook_deliveries;
  const pool = db();
  const base = (await pool.query<{ now: Date }>('SELECT now()')).rows[0].now;
  await pool.query(HELPERS);
  const batches = async (table: string, total: number, sql: string) => {
    for (let lo = 1; lo <= total; lo += BATCH) {
      await pool.query(sql, [base, lo, Math.min(lo + BATCH - 1, total)]);
    }
    log(`seeded ${table}: ${total}`);
  };
  const message = `bench_message(n, ${M}, ${V}, ${C}, $1)`;

  await batches(
    'customers',
    C,
    `INSERT INTO customers (id, name, phone, email, metadata, created_at, updated_at)
     SELECT bench_uuid7(at, 'customer' || j),
            (ARRAY['Ann', 'Bo', 'Chiara', 'Dev', 'Emeka', 'Fatima', 'Goran', 'Hana'])[1 + j % 8]
              || ' ' || (ARRAY['Okafor', 'Smith', 'Rossi', 'Nguyen', 'Kowalski', 'Haddad',
                               'Larsen'])[1 + j % 7],
            bench_phone(j), 'customer' || j || '@example.com',
            CASE WHEN j % 3 = 0 THEN jsonb_build_object('plan', 'pro', 'crm_id', 'C-' || j)
                 ELSE '{}' END,
            at, at
       FROM generate_series($2::bigint, $3::bigint) AS j,
            LATERAL bench_at(j, ${C}, $1) AS at`,
  );
  await batches(
    'conversations',
    V,
    `INSERT INTO conversations (id, customer_id, channel, sender_id, status, last_message_at,
                                created_at, updated_at)
     SELECT conv.id, bench_uuid7(bench_at(conv.customer, ${C}, $1), 'customer' || conv.customer),
            conv.channel, ${ENVIRONMENT_SENDER_SQL('conv.channel')},
            CASE WHEN conv.at > $1::timestamptz - interval '30 days' THEN 'open' ELSE 'closed' END,
            conv.at, conv.at, conv.at
       FROM generate_series($2::bigint, $3::bigint) AS k,
            LATERAL bench_conversation(k, ${V}, ${C}, $1) AS conv`,
  );
  await batches(
    'messages',
    M,
    `INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, recipient,
                           status, provider_message_id, attempt_count, last_error, created_at,
                           updated_at, sent_at, delivered_at, read_at, failed_at)
     SELECT m.id, m.conversation_id, m.customer_id, m.direction, m.channel, m.body,
            CASE WHEN m.direction = 'outbound' THEN m.phone END, m.status, m.provider_message_id,
            CASE WHEN m.direction = 'outbound' THEN 1 + (n % 10 = 0)::int ELSE 0 END,
            CASE WHEN m.status = 'failed' THEN 'recipient is not a valid WhatsApp user' END,
            m.at, m.at + interval '40 seconds',
            CASE WHEN m.status IN ('sent', 'delivered', 'read') THEN m.at + interval '1 second' END,
            CASE WHEN m.status IN ('delivered', 'read') THEN m.at + interval '3 seconds' END,
            CASE WHEN m.status = 'read' THEN m.at + interval '40 seconds' END,
            CASE WHEN m.status = 'failed' THEN m.at + interval '1 second' END
       FROM generate_series($2::bigint, $3::bigint) AS n, LATERAL ${message} AS m`,
  );
  await batches(
    'message_attempts',
    M,
    `INSERT INTO message_attempts (message_id, attempt, started_at, finished_at, outcome,
                                   http_status, error, duration_ms)
     SELECT m.id, a, m.at + (a - 1) * interval '5 seconds',
            m.at + (a - 1) * interval '5 seconds' + interval '350 milliseconds',
            CASE WHEN a = 1 AND n % 10 = 0 THEN 'transient_error'
                 WHEN m.status = 'failed' THEN 'permanent_error' ELSE 'sent' END,
            CASE WHEN a = 1 AND n % 10 = 0 THEN 503 WHEN m.status = 'failed' THEN 400 ELSE 200 END,
            CASE WHEN a = 1 AND n % 10 = 0 THEN 'provider answered HTTP 503'
                 WHEN m.status = 'failed' THEN 'recipient is not a valid WhatsApp user' END,
            350
       FROM generate_series($2::bigint, $3::bigint) AS n, LATERAL ${message} AS m,
            generate_series(1, 2) AS a
      WHERE n % 2 = 0 AND (a = 1 OR n % 10 = 0)`,
  );
  // A receipt's source is the status webhook it came from (raw event id and path); those raw
  // events are not seeded: retention keeps raw webhooks 30 days, receipts as long as messages.
  await batches(
    'message_receipts',
    M,
    `INSERT INTO message_receipts (message_id, channel, provider_message_id, provider_status,
                                   status, provider_timestamp, status_changed, source_key,
                                   received_at)
     SELECT m.id, m.channel, m.provider_message_id, (ARRAY['sent', 'delivered', 'read'])[r],
            (ARRAY['sent', 'delivered', 'read'])[r], m.at + r * interval '2 seconds', true,
            bench_uuid7(m.at + r * interval '2 seconds', 'status' || n || ':' || r)
              || ':entry.0.changes.0.value.statuses.0',
            m.at + r * interval '2 seconds'
       FROM generate_series($2::bigint, $3::bigint) AS n, LATERAL ${message} AS m,
            generate_series(1, 3) AS r
      WHERE n % 2 = 0 AND r <= CASE m.status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
                                             WHEN 'read' THEN 3 ELSE 0 END`,
  );
  // The raw webhook of every inbound message, as the provider sent it; one in a thousand failed.
  await batches(
    'inbound_events',
    R,
    `INSERT INTO inbound_events (id, provider, event_key, content_type, headers, payload, status,
                                 error, attempts, created_at, processed_at, subject_keys)
     SELECT bench_uuid7(m.at, 'raw' || i), m.channel, m.provider_message_id,
            CASE m.channel WHEN 'sms' THEN 'application/x-www-form-urlencoded'
                           ELSE 'application/json' END,
            jsonb_build_object('user-agent', CASE m.channel WHEN 'sms' THEN 'TwilioProxy/1.1'
                                                              ELSE 'facebookexternalua' END),
            CASE m.channel
              WHEN 'sms' THEN 'ToCountry=GB&SmsMessageSid=' || m.provider_message_id
                || '&NumMedia=0&SmsSid=' || m.provider_message_id || '&SmsStatus=received&Body='
                || replace(m.body, ' ', '+') || '&To=%2B447700900123&NumSegments=1&MessageSid='
                || m.provider_message_id || '&AccountSid=AC' || md5('account')
                || '&From=' || replace(m.phone, '+', '%2B') || '&ApiVersion=2010-04-01'
              ELSE json_build_object('object', 'whatsapp_business_account', 'entry',
                json_build_array(json_build_object('id', '102290129340398', 'changes',
                  json_build_array(json_build_object('field', 'messages', 'value',
                    json_build_object('messaging_product', 'whatsapp',
                      'metadata', json_build_object('display_phone_number', '15550001111',
                                                    'phone_number_id', '106540352242922'),
                      'contacts', json_build_array(json_build_object(
                        'profile', json_build_object('name', 'Customer ' || i),
                        'wa_id', substr(m.phone, 2))),
                      'messages', json_build_array(json_build_object(
                        'from', substr(m.phone, 2), 'id', m.provider_message_id,
                        'timestamp', extract(epoch FROM m.at)::bigint::text, 'type', 'text',
                        'text', json_build_object('body', m.body)))))))))::text
            END,
            CASE WHEN i % 1000 = 0 THEN 'failed' ELSE 'processed' END,
            CASE WHEN i % 1000 = 0 THEN 'could not store the message: deadlock detected' END,
            CASE WHEN i % 1000 = 0 THEN 8 ELSE 1 END, m.at, m.at + interval '30 milliseconds',
            ARRAY[bench_subject_key('phone', m.phone),
                  bench_subject_key('message:' || m.channel, m.provider_message_id)]
       FROM generate_series($2::bigint, $3::bigint) AS i,
            LATERAL bench_message(2 * i - 1, ${M}, ${V}, ${C}, $1) AS m
      WHERE m.provider_message_id IS NOT NULL`,
  );
  await batches(
    'events',
    E,
    `INSERT INTO events (id, seq, type, conversation_id, previous_status, data, created_at)
     OVERRIDING SYSTEM VALUE
     SELECT e, e, CASE WHEN r = 0 THEN 'message.created' ELSE 'message.updated' END,
            m.conversation_id,
            CASE WHEN r > 0 THEN (ARRAY['queued', 'sending', 'sent', 'delivered'])[r] END,
            jsonb_build_object('id', m.id, 'conversation_id', m.conversation_id,
              'customer_id', m.customer_id, 'direction', m.direction, 'channel', m.channel,
              'body', m.body, 'status', m.status, 'provider_message_id', m.provider_message_id,
              'metadata', '{}'::jsonb, 'attempt_count', 1, 'created_at', m.at,
              'updated_at', m.at + r * interval '1 second'),
            m.at + r * interval '1 second'
       FROM generate_series($2::bigint, $3::bigint) AS e,
            LATERAL (SELECT 1 + (e - 1) / 5 AS n, (e - 1) % 5 AS r) AS pick,
            LATERAL ${message} AS m`,
  );
  await pool.query(`
    SELECT setval('events_seq_source', ${E}), setval(pg_get_serial_sequence('events', 'id'), ${E});
    UPDATE event_sequence SET last_seq = ${E};
    UPDATE webhook_dispatch_cursor SET last_seq = ${E};`);
  // Endpoints that subscribed all year and were switched off before the bench: their history
  // is there, and the bench's own events are sent nowhere.
  await pool.query(
    `INSERT INTO webhook_endpoints (id, url, status, disabled_reason, secret, created_at)
     SELECT bench_uuid7($1::timestamptz - interval '366 days', 'endpoint' || k),
            'https://hooks' || k || '.example.com/omnichannel', 'disabled', 'disabled for the bench',
            'whsec_' || md5('endpoint' || k), $1::timestamptz - interval '366 days'
       FROM generate_series(1, ${WEBHOOK_ENDPOINTS}) AS k`,
    [base],
  );
  await pool.query(
    `INSERT INTO webhook_endpoint_versions (endpoint_id, valid_from, active)
     SELECT id, created_at, true FROM webhook_endpoints
     UNION ALL SELECT id, $1::timestamptz, false FROM webhook_endpoints`,
    [base],
  );
  await batches(
    'webhook_deliveries',
    D,
    `INSERT INTO webhook_deliveries (id, endpoint_id, origin, event_id, seq, type, status,
                                     attempt_count, round_attempts, next_attempt_at,
                                     last_response_status, last_error, created_at, updated_at)
     SELECT bench_uuid7(at, 'delivery' || d),
            bench_uuid7($1::timestamptz - interval '366 days', 'endpoint' || (1 + d % ${WEBHOOK_ENDPOINTS})),
            'event', e, e, CASE WHEN e % 5 = 1 THEN 'message.created' ELSE 'message.updated' END,
            CASE WHEN d % 33 = 0 THEN 'failed' ELSE 'succeeded' END,
            CASE WHEN d % 33 = 0 THEN 8 ELSE 1 END, CASE WHEN d % 33 = 0 THEN 8 ELSE 1 END,
            at, CASE WHEN d % 33 = 0 THEN 502 ELSE 204 END,
            CASE WHEN d % 33 = 0 THEN 'endpoint answered HTTP 502' END, at, at
       FROM generate_series($2::bigint, $3::bigint) AS d,
            LATERAL (SELECT 1 + (d - 1) * ${E}::bigint / ${D} AS e) AS pick,
            LATERAL bench_at(d, ${D}, $1) AS at`,
  );
  await batches(
    'webhook_delivery_attempts',
    D,
    `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms,
                                            response_status, response_body, error)
     SELECT bench_uuid7(at, 'delivery' || d), 1, at, 40 + d % 200,
            CASE WHEN d % 33 = 0 THEN 502 ELSE 204 END,
            CASE WHEN d % 33 = 0 THEN '<html><body>Bad gateway</body></html>' ELSE '' END,
            CASE WHEN d % 33 = 0 THEN 'endpoint answered HTTP 502' END
       FROM generate_series($2::bigint, $3::bigint) AS d, LATERAL bench_at(d, ${D}, $1) AS at`,
  );
  await seedErasureCustomer(base);
}

/** Exact row counts of the tables the contract sizes, and of the attempts and receipts. */
export async function countRows(): Promise<Record<string, number>> {
  const tables = [...Object.keys(CONTRACT_SIZE), 'message_attempts', 'message_receipts'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const { rows } = await db().query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0].n);
  }
  return counts;
}

/** The customer `eraseCustomerId` names: one WhatsApp conversation of ERASURE_MESSAGES messages. */
async function seedErasureCustomer(base: Date): Promise<void> {
  await db().query(
    `WITH customer AS (
       INSERT INTO customers (id, name, phone, email, created_at, updated_at)
       VALUES (bench_uuid7($1::timestamptz - interval '200 days', 'erasure'), 'Erin Erasure', '+447900000001',
               'erin@example.com', $1::timestamptz - interval '200 days', $1::timestamptz - interval '200 days')
       RETURNING id),
     conversation AS (
       INSERT INTO conversations (id, customer_id, channel, sender_id, status, created_at, updated_at)
       SELECT bench_uuid7($1::timestamptz - interval '200 days', 'erasure conversation'), id, 'whatsapp',
              '${ENVIRONMENT_SENDER_IDS.whatsapp}', 'open', $1::timestamptz - interval '200 days', $1::timestamptz - interval '200 days'
         FROM customer
       RETURNING id, customer_id),
     message AS (
       INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body,
                             recipient, status, provider_message_id, attempt_count, created_at,
                             updated_at)
       SELECT bench_uuid7(at, 'erasure message' || n), conversation.id, conversation.customer_id,
              CASE WHEN n % 2 = 1 THEN 'inbound' ELSE 'outbound' END, 'whatsapp',
              'Message ' || n || ' about order #48213 and the delivery to 14 Park Lane.',
              CASE WHEN n % 2 = 0 THEN '+447900000001' END,
              CASE WHEN n % 2 = 1 THEN 'received' ELSE 'read' END,
              'wamid.HBgLerasure' || n, (n % 2 = 0)::int, at, at
         FROM conversation, generate_series(1, ${ERASURE_MESSAGES}) AS n,
              LATERAL (SELECT $1::timestamptz - interval '200 days' + n * interval '4 hours') AS t(at)
       RETURNING id, conversation_id, direction, provider_message_id, created_at),
     attempt AS (
       INSERT INTO message_attempts (message_id, attempt, started_at, finished_at, outcome,
                                     http_status, duration_ms)
       SELECT id, 1, created_at, created_at + interval '300 milliseconds', 'sent', 200, 300
         FROM message WHERE direction = 'outbound'),
     receipt AS (
       INSERT INTO message_receipts (message_id, channel, provider_message_id, provider_status,
                                     status, status_changed, source_key, received_at)
       SELECT id, 'whatsapp', provider_message_id, s, s, true,
              bench_uuid7(created_at, 'erasure status' || provider_message_id || s)
                || ':entry.0.changes.0.value.statuses.0', created_at
         FROM message, unnest(ARRAY['sent', 'delivered', 'read']) AS s
        WHERE direction = 'outbound'),
     raw AS (
       INSERT INTO inbound_events (id, provider, event_key, content_type, payload, status,
                                   attempts, created_at, processed_at, subject_keys)
       SELECT bench_uuid7(created_at, 'erasure raw' || provider_message_id), 'whatsapp',
              provider_message_id, 'application/json',
              '{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",'
                || '"value":{"contacts":[{"profile":{"name":"Erin Erasure"},"wa_id":"447900000001"}],'
                || '"messages":[{"from":"447900000001","id":"' || provider_message_id
                || '","type":"text","text":{"body":"About order #48213"}}]}}]}]}',
              'processed', 1, created_at, created_at,
              ARRAY[bench_subject_key('phone', '+447900000001'),
                    bench_subject_key('message:whatsapp', provider_message_id)]
         FROM message WHERE direction = 'inbound')
     INSERT INTO events (type, conversation_id, data, created_at)
     SELECT 'message.created', conversation_id,
            jsonb_build_object('id', id, 'conversation_id', conversation_id, 'body', 'Message'),
            created_at
       FROM message`,
    [base],
  );
  // Published, and already fanned out: the endpoints were active when these events were made.
  await db().query(`
    UPDATE event_sequence SET last_seq = (SELECT max(seq) FROM events);
    UPDATE webhook_dispatch_cursor SET last_seq = (SELECT max(seq) FROM events);`);
}

/** The id of the customer seedScale made for the erasure measure. */
export async function erasureCustomerId(): Promise<string> {
  const { rows } = await db().query<{ id: string }>(
    `SELECT id FROM customers WHERE phone = '+447900000001'`,
  );
  return rows[0].id;
}

/** Seeded conversations (with their customers) picked at random, for the list reads. */
export async function listTargets(count: number) {
  const { rows } = await db().query<{ conversation_id: string; customer_id: string }>(
    `SELECT id AS conversation_id, customer_id FROM conversations
      WHERE customer_id IN (SELECT id FROM customers WHERE phone LIKE '+4477%')
      ORDER BY random() LIMIT $1`,
    [count],
  );
  return rows;
}
