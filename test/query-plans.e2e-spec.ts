import { Client } from 'pg';
import { ENVIRONMENT_SENDER_IDS } from '../src/shared/environment-senders';
import type { PreparedSql, Statement } from '../src/platform/database/prepared-sql';
import { PRUNE_EVENTS, PRUNE_WEBHOOK_DELIVERIES } from '../src/modules/lifecycle/retention.sql';
import { ACCEPT_MESSAGE } from '../src/modules/messaging/accept-message.sql';
import {
  ConversationListFilter,
  conversationListQuery,
} from '../src/modules/conversation/conversation-list.sql';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { DeliveryLedger } from '../src/modules/messaging/delivery-ledger';
import { HAS_HELD_RECEIPTS } from '../src/modules/messaging/receipt-held.sql';
import { LOCK_RECEIPT_TARGETS } from '../src/modules/messaging/receipt-targets.sql';
import { FIND_ERASED_PROVIDER_IDS } from '../src/modules/inbound/store-inbound.sql';
import type { ReceiptService } from '../src/modules/messaging/receipt.service';
import { idFloorAt } from '../src/platform/database/new-id';
import { TEST_DATABASE_URL } from './support/test-env';
import type { Queue } from 'bullmq';
import { DataSource, QueryRunner } from 'typeorm';
import { QueryResult } from 'typeorm/query-runner/QueryResult';
import { Attachment } from '../src/modules/attachments/attachment.entity';
import { AttachmentService } from '../src/modules/attachments/attachment.service';
import type { MediaUrlSigner } from '../src/modules/attachments/media-url-signer';
import { AttachmentBlobs } from '../src/modules/attachments/storage/attachment-blobs';
import type { AttachmentStorage } from '../src/modules/attachments/storage/attachment-storage';
import type { EventLog } from '../src/modules/events/event-log';
import type { WebhookDeliverer } from '../src/modules/webhooks/webhook-deliverer';
import { WebhookDeliveryAttempt } from '../src/modules/webhooks/webhook-delivery-attempt.entity';
import { WebhookDelivery } from '../src/modules/webhooks/webhook-delivery.entity';
import {
  ClaimedDelivery,
  WebhookDeliveryLedger,
} from '../src/modules/webhooks/webhook-delivery.ledger';
import { webhookDeliveryStore } from '../src/modules/webhooks/webhook-delivery.store';
import { WebhookEndpoint } from '../src/modules/webhooks/webhook-endpoint.entity';
import { WebhookEndpointService } from '../src/modules/webhooks/webhook-endpoint.service';
import type { AppConfig } from '../src/platform/config/app-config';
import { ENTITIES } from '../src/app/entities';
import { dataSourceOptions } from '../src/platform/database/data-source-options';
import type { FetchMediaJob } from '../src/platform/queue/queue-names';

const SEEDED = 'query-plans seed';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every statement DeliveryLedger runs, as it hands them to PreparedSql. */
async function ledgerStatements(): Promise<Statement[]> {
  const statements: Statement[] = [];
  const recorder = {
    rows: async (statement: Statement) => {
      statements.push(statement);
      return [];
    },
  } as unknown as PreparedSql;
  // Its probe for held receipts is planned below, on its own.
  const receipts = { applyHeldReceiptsOf: async () => undefined } as unknown as ReceiptService;
  const ledger = new DeliveryLedger(recorder, receipts);
  const attempt = {
    attempt: 1,
    startedAt: new Date(),
    finishedAt: new Date(),
    outcome: 'sent' as const,
  };
  await ledger.claimForSending('id');
  await ledger.recordSent('id', attempt, 'provider-id');
  await ledger.recordRetry('id', { ...attempt, outcome: 'transient_error' }, new Date());
  await ledger.recordFailure('id', { ...attempt, outcome: 'permanent_error' }, 'error');
  await ledger.expire('id', 'expired');
  await ledger.failIfPending('id', 'failed');
  return statements;
}

/** Every index the plan reads, bitmap scans included. */
function indexesOf(node: PlanNode): string[] {
  return [
    ...(node['Index Name'] ? [node['Index Name']] : []),
    ...(node.Plans ?? []).flatMap(indexesOf),
  ];
}

function scansOf(node: PlanNode, relation: string): string[] {
  const own =
    node['Relation Name'] === relation && node['Node Type'] !== 'ModifyTable'
      ? [`${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap((child) => scansOf(child, relation))];
}

/**
 * The once-per-message statements are prepared, so after five runs Postgres may switch to a
 * generic plan chosen without the parameters' values, from statistics that can describe the
 * table before a backlog. These plans must find a message by its primary key whatever the
 * statistics say: a plan that walks a status index costs one backlog scan per message.
 */
describe('Query plans of the per-message statements', () => {
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    // A table of finished messages, and statistics that say none is pending: the partial
    // pending index looks free to scan, as it does before a backlog builds up. Time-ordered ids
    // like the application's, so these rows never sort above later files' in newest-first lists.
    await client.query(`
      WITH customer AS (
        INSERT INTO customers (id, name)
        SELECT webhook_uuid_v7(), '${SEEDED}' FROM generate_series(1, 1000) RETURNING id),
      conversation AS (
        INSERT INTO conversations (id, customer_id, channel, sender_id, status)
        SELECT webhook_uuid_v7(), id, 'web', '${ENVIRONMENT_SENDER_IDS.web}', 'closed' FROM customer
        RETURNING id, customer_id)
      INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, status)
      SELECT webhook_uuid_v7(), conversation.id, conversation.customer_id, 'outbound', 'web',
             'hello', 'sent'
        FROM conversation, generate_series(1, 5)`);
    // Receipts of those messages, and as many never matched to one.
    await client.query(`
      INSERT INTO message_receipts (message_id, channel, provider_message_id, provider_status,
                                    status, status_changed, source_key)
      SELECT message.id, 'web', 'seed-' || message.id, 'delivered', 'delivered', true,
             '${SEEDED} ' || message.id
        FROM messages message JOIN customers customer ON customer.id = message.customer_id
       WHERE customer.name = '${SEEDED}'
      UNION ALL
      SELECT NULL, 'web', 'seed-orphan-' || n, 'delivered', 'delivered', false,
             '${SEEDED} orphan ' || n
        FROM generate_series(1, 5000) AS n`);
    await client.query('ANALYZE');
    await client.query('SET plan_cache_mode = force_generic_plan');
  });
  afterAll(async () => {
    await client.query(`DELETE FROM message_receipts WHERE source_key LIKE '${SEEDED} %'`);
    await client.query(`
      WITH seeded AS (SELECT id FROM customers WHERE name = '${SEEDED}'),
           messages_gone AS (DELETE FROM messages WHERE customer_id IN (SELECT id FROM seeded)),
           conversations_gone AS (
             DELETE FROM conversations WHERE customer_id IN (SELECT id FROM seeded))
      SELECT 1`);
    await client.query(`DELETE FROM customers WHERE name = '${SEEDED}'`);
    await client.end();
  });

  async function genericPlan(statement: Statement): Promise<PlanNode> {
    await client.query(`PREPARE plan_probe AS ${statement.text}`);
    try {
      const [{ count }] = (
        await client.query<{ count: number }>(
          `SELECT cardinality(parameter_types) AS count FROM pg_prepared_statements
            WHERE name = 'plan_probe'`,
        )
      ).rows;
      const nulls = Array.from({ length: count }, () => 'NULL').join(', ');
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE plan_probe(${nulls})`);
      return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
    } finally {
      await client.query('DEALLOCATE plan_probe');
    }
  }

  it('every delivery ledger transition reads and updates the message through its primary key', async () => {
    const statements = await ledgerStatements();
    expect(statements.map((statement) => statement.name)).toEqual([
      'ledger-claim',
      'ledger-record-sent',
      'ledger-record-retry',
      'ledger-record-failure',
      'ledger-expire',
      'ledger-fail-if-pending',
    ]);
    for (const statement of statements) {
      const scans = scansOf(await genericPlan(statement), 'messages');
      expect({ statement: statement.name, scans }).toEqual({
        statement: statement.name,
        scans: ['Index Scan using messages_pkey', 'Index Scan using messages_pkey'],
      });
    }
  });

  it('the probe for held receipts after each send is index lookups only', async () => {
    const plan = await genericPlan(HAS_HELD_RECEIPTS);
    expect(scansOf(plan, 'messages')).toEqual(['Index Scan using messages_pkey']);
    expect(scansOf(plan, 'message_receipts')).toEqual([
      'Index Scan using message_receipts_message_idx',
      'Index Scan using message_receipts_orphan_idx',
    ]);
  });

  it('a webhook locks the messages its receipts are about by primary key and provider id', async () => {
    const scans = scansOf(await genericPlan(LOCK_RECEIPT_TARGETS), 'messages');
    expect(scans).toContain('Index Scan using messages_provider_message_id_key');
    expect(scans.filter((scan) => !scan.startsWith('Index'))).toEqual([]);
  });

  it('asking whether a webhook repeats an erased message probes the kept keys by index', async () => {
    await client.query(`
      INSERT INTO inbound_message_keys (channel, provider_message_digest, received_at)
      SELECT 'web', sha256(convert_to('${SEEDED} ' || n, 'UTF8')), now()
        FROM generate_series(1, 20000) AS n`);
    try {
      await client.query('ANALYZE inbound_message_keys');
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${FIND_ERASED_PROVIDER_IDS}`, [
        ['web', 'whatsapp'],
        [`${SEEDED} 1`, 'wamid.never-seen'],
      ]);
      expect(scansOf(rows[0]['QUERY PLAN'][0].Plan, 'inbound_message_keys')).toEqual([
        expect.stringMatching(/^Index (Only )?Scan using inbound_message_keys_pkey$/),
      ]);
    } finally {
      await client.query(
        `DELETE FROM inbound_message_keys WHERE provider_message_digest = ANY (ARRAY(
           SELECT sha256(convert_to('${SEEDED} ' || n, 'UTF8')) FROM generate_series(1, 20000) n))`,
      );
    }
  });

  it('accepting a message finds its conversation by primary key and the reply window by index', async () => {
    const plan = await genericPlan(ACCEPT_MESSAGE);
    expect(scansOf(plan, 'conversations')).toEqual([
      'Index Scan using conversations_pkey',
      'Index Scan using conversations_pkey',
    ]);
    expect(scansOf(plan, 'customers')).toEqual(['Index Scan using customers_pkey']);
    expect(scansOf(plan, 'messages')).toEqual([
      'Index Only Scan using messages_customer_inbound_idx',
    ]);
  });
});

/**
 * The inbox lists conversations newest activity first, 50 at a time, from a table that grows
 * with every customer: each page must be read in order from an index and stop after it, never
 * sort every conversation of an assignee, a status or the whole table.
 */
describe('Query plans of the conversation list', () => {
  const AGENT = '0190c3a0-0000-7000-8000-0000000a6e01';
  /** One WhatsApp number among several: one conversation in a hundred is its. */
  const SENDER = '0190c3a0-0000-7000-8000-00000005e4d1';
  const SEED = 'query-plans conversation list';
  let client: Client;
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = new DataSource({
      ...dataSourceOptions({ databaseUrl: TEST_DATABASE_URL } as AppConfig),
      entities: ENTITIES,
    });
    await dataSource.initialize();
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO agents (id, email, name, role, password_hash)
       SELECT CASE n WHEN 1 THEN '${AGENT}'::uuid ELSE webhook_uuid_v7() END,
              'plans-' || n || '@example.com', 'Plans', 'agent', 'x'
         FROM generate_series(1, 20) AS n`,
    );
    // A year on: mostly closed, spread over 20 agents and the unassigned, activity over months.
    await client.query(`
      WITH customer AS (
        INSERT INTO customers (id, name)
        SELECT webhook_uuid_v7(), '${SEED}' FROM generate_series(1, 30000) RETURNING id),
      agent AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM agents)
      INSERT INTO conversations (id, customer_id, channel, sender_id, status, assignee_id,
                                 last_message_at, created_at)
      SELECT webhook_uuid_v7(), customer.id, sender.channel, sender.id,
             CASE WHEN n % 10 = 0 THEN 'open' ELSE 'closed' END,
             (SELECT id FROM agent WHERE k = 1 + n % 21),
             CASE WHEN n % 7 = 0 THEN NULL ELSE now() - interval '1 minute' * (30000 - n) END,
             now() - interval '1 minute' * (40000 - n)
        FROM (SELECT id, row_number() OVER () AS n FROM customer) AS customer
        JOIN senders sender ON sender.source = 'environment'
         AND sender.channel = (ARRAY['whatsapp', 'sms', 'email', 'web'])[1 + (n / 10) % 4]`);
    await client.query(
      `INSERT INTO senders (id, channel, name, source) VALUES ('${SENDER}', 'whatsapp', 'Plans', 'api')`,
    );
    await client.query(
      `UPDATE conversations SET sender_id = '${SENDER}'
        WHERE channel = 'whatsapp' AND id IN (
          SELECT c.id FROM conversations c JOIN customers u ON u.id = c.customer_id
           WHERE u.name = '${SEED}' AND c.channel = 'whatsapp' ORDER BY c.id LIMIT 300)`,
    );
    await client.query('ANALYZE conversations');
  });
  afterAll(async () => {
    await client.query('ROLLBACK');
    await client.end();
    await dataSource.destroy();
  });

  const nodeTypes = (node: PlanNode): string[] => [
    node['Node Type'],
    ...(node.Plans ?? []).flatMap(nodeTypes),
  ];

  async function listPlan(filter: Omit<ConversationListFilter, 'limit'>): Promise<PlanNode> {
    const query = conversationListQuery(
      dataSource.getRepository(Conversation).createQueryBuilder('conversation'),
      { ...filter, limit: 50 },
    );
    const [text, params] = query.getQueryAndParameters();
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, params);
    return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
  }

  const after = { activityUs: String(Date.now() * 1000 - 3_600_000_000), id: AGENT };
  const LIST_INDEXES = [
    'conversations_activity_idx',
    'conversations_status_activity_idx',
    'conversations_assignee_activity_idx',
    'conversations_unassigned_activity_idx',
    'conversations_sender_activity_idx',
  ];

  /**
   * Each filter the inbox sends, and the index that must serve it when its rows are few among
   * many (where reading the general order and skipping would walk the table). Where they are
   * many, Postgres may read any index in the list's order: it stops after the page either way.
   */
  it.each<[string, Omit<ConversationListFilter, 'limit'>, string | null]>([
    ['everyone', {}, 'conversations_activity_idx'],
    ['everyone, a later page', { after }, 'conversations_activity_idx'],
    ['everyone, open', { status: 'open' }, 'conversations_status_activity_idx'],
    [
      'everyone, open, a later page',
      { status: 'open', after },
      'conversations_status_activity_idx',
    ],
    ['everyone, closed', { status: 'closed' }, null],
    [
      'one agent, open',
      { assigneeId: AGENT, status: 'open' },
      'conversations_assignee_activity_idx',
    ],
    [
      'one agent, closed',
      { assigneeId: AGENT, status: 'closed' },
      'conversations_assignee_activity_idx',
    ],
    [
      'one agent, closed, a later page',
      { assigneeId: AGENT, status: 'closed', after },
      'conversations_assignee_activity_idx',
    ],
    [
      'the unassigned, open',
      { assigneeId: null, status: 'open' },
      'conversations_unassigned_activity_idx',
    ],
    [
      'the unassigned, closed',
      { assigneeId: null, status: 'closed' },
      'conversations_unassigned_activity_idx',
    ],
    [
      'the unassigned, closed, a later page',
      { assigneeId: null, status: 'closed', after },
      'conversations_unassigned_activity_idx',
    ],
    [
      'one sender, closed',
      { senderId: SENDER, status: 'closed' },
      'conversations_sender_activity_idx',
    ],
    [
      'one sender, closed, a later page',
      { senderId: SENDER, status: 'closed', after },
      'conversations_sender_activity_idx',
    ],
  ])('reads %s in order from an index, stopping after the page', async (_, filter, index) => {
    const plan = await listPlan(filter);
    const [scan, ...more] = scansOf(plan, 'conversations');
    expect(more).toEqual([]);
    expect(scan).toMatch(new RegExp(`^Index Scan using (${index ?? LIST_INDEXES.join('|')})$`));
    // No Sort above it: the rows come in the list's order, so the LIMIT ends the scan.
    expect(nodeTypes(plan).filter((type) => type.endsWith('Sort'))).toEqual([]);
  });

  /** Postgres may also read these few rows by index and sort them; never the whole table. */
  it.each<[string, Omit<ConversationListFilter, 'limit'>]>([
    ['one agent, any status', { assigneeId: AGENT }],
    ['one agent, open, on sms', { assigneeId: AGENT, status: 'open', channel: 'sms' }],
  ])('reads %s through an index of the list', async (_, filter) => {
    const plan = await listPlan(filter);
    const used = indexesOf(plan).filter((name) => name.startsWith('conversations'));
    expect(used).toHaveLength(1);
    expect(LIST_INDEXES).toContain(used[0]);
    expect(nodeTypes(plan)).not.toContain('Seq Scan');
  });
});

/**
 * Retention's statements over events and webhook deliveries run with their values (not
 * prepared), once per batch of 500: each must reach its batch through an index, never by
 * reading past every delivery still pending (a disabled endpoint can hold many).
 */
describe('Query plans of retention over events and webhook deliveries', () => {
  const SEEDED_ENDPOINT = 'query-plans retention seed';
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    // 40 endpoints (one deleted) with 1 000 deliveries each, 1 in 10 still pending, over as
    // many events of a conversation no one reads.
    await client.query(`
      INSERT INTO events (type, conversation_id, data)
      SELECT 'conversation.updated', '00000000-0000-7000-8000-00000000a11d', '{}'
        FROM generate_series(1, 20000)`);
    await client.query(`
      WITH endpoint AS (
        INSERT INTO webhook_endpoints (id, url, description, secret, deleted_at)
        SELECT webhook_uuid_v7(), 'https://example.com/' || n, '${SEEDED_ENDPOINT}', 'whsec_x',
               CASE WHEN n = 1 THEN now() END
          FROM generate_series(1, 40) AS n RETURNING id)
      INSERT INTO webhook_deliveries (endpoint_id, origin, event_id, seq, type, status)
      SELECT endpoint.id, 'event', n, n, 'conversation.updated',
             CASE WHEN n % 10 = 0 THEN 'pending' ELSE 'succeeded' END
        FROM endpoint, generate_series(1, 1000) AS n`);
    await client.query('ANALYZE events');
    await client.query('ANALYZE webhook_deliveries');
    await client.query('ANALYZE webhook_endpoints');
  });
  afterAll(async () => {
    await client.query(`DELETE FROM webhook_endpoints WHERE description = '${SEEDED_ENDPOINT}'`);
    await client.query(
      `DELETE FROM events WHERE conversation_id = '00000000-0000-7000-8000-00000000a11d'`,
    );
    await client.end();
  });

  async function plan(text: string, values: unknown[]): Promise<PlanNode> {
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
    return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
  }

  it('pruning deliveries walks the settled ones by id, and the pending ones of deleted endpoints by index', async () => {
    const scans = scansOf(
      await plan(PRUNE_WEBHOOK_DELIVERIES, [idFloorAt(new Date()), 500]),
      'webhook_deliveries',
    );
    expect(scans[0]).toBe('Index Scan using webhook_deliveries_settled');
    expect(scans.filter((scan) => !scan.startsWith('Index'))).toEqual([]);
  });

  it('pruning events reads and deletes by index, and finds the first one owed per endpoint by index', async () => {
    const query = await plan(PRUNE_EVENTS, [new Date(), 500]);
    // The delete finds its batch by primary key, one probe per id or as a bitmap of them: the
    // planner takes the bitmap on a database that kept tens of thousands of events (CI's).
    expect(scansOf(query, 'events')).toEqual([
      'Index Scan using events_seq',
      expect.stringMatching(/^(Index Scan using events_pkey|Bitmap Heap Scan)$/),
    ]);
    expect(indexesOf(query)).toContain('events_pkey');
    expect(scansOf(query, 'webhook_deliveries')).toEqual([
      expect.stringMatching(/^Index (Only )?Scan using webhook_deliveries_pending_seq$/),
    ]);
  });
});

/** One statement an application method ran, with the values it ran with. */
interface RecordedStatement {
  step: string;
  text: string;
  params: unknown[];
}

interface RecordingDataSource {
  dataSource: DataSource;
  statements: RecordedStatement[];
  /** Runs `run`, recording its statements under the name `step`. */
  record(step: string, run: () => Promise<unknown>): Promise<void>;
}

/**
 * A DataSource whose statements are recorded instead of run, answered from `answer` (or with no
 * rows), so each method can be walked through all its statements without a matching database
 * state; their plans are then taken on seeded tables. Transaction control is not recorded.
 */
async function recordingDataSource(
  answer: (text: string) => unknown[] | undefined,
): Promise<RecordingDataSource> {
  const dataSource = new DataSource({
    ...dataSourceOptions({ databaseUrl: TEST_DATABASE_URL }),
    entities: ENTITIES,
  });
  await dataSource.initialize();
  const statements: RecordedStatement[] = [];
  let step = '';
  const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode);
    runner.query = (async (text: string, params: unknown[] = [], structured = false) => {
      if (!/^\s*(START TRANSACTION|COMMIT|ROLLBACK)/.test(text)) {
        statements.push({ step, text, params });
      }
      // What TypeORM's pg driver answers: [rows, affected] for an UPDATE or DELETE.
      const rows = answer(text) ?? (/(^\s*|\)\s*)(UPDATE|DELETE)\s/.test(text) ? [[], 0] : []);
      if (!structured) return rows;
      return Object.assign(new QueryResult(), { records: rows, raw: rows, affected: 0 });
    }) as QueryRunner['query'];
    runner.release = async () => undefined;
    return runner;
  };
  return {
    dataSource,
    statements,
    // A method may stop at a canned answer that its later logic dislikes (an entity with only an
    // id): its statements until then are what is checked, and the test names the steps it needs.
    record: async (name, run) => {
      step = name;
      await run().catch(() => undefined);
    },
  };
}

/** Tables that grow with traffic: a Seq Scan on any of them is a statement that does not scale. */
const GROWING_TABLES = [
  'webhook_deliveries',
  'webhook_delivery_attempts',
  'attachments',
  'message_attachments',
  'messages',
];

function scanNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(scanNodes)];
}

/**
 * The webhook and attachment statements run as plain (unnamed) queries, planned with their
 * values each time; planned here with the values the code passes, on tables seeded in a
 * transaction that is rolled back (so nothing is left for other tests), with statistics taken.
 */
describe('Query plans of the outgoing webhook and attachment statements', () => {
  const ENDPOINT = '0190c3a0-0000-7000-8000-00000000e001';
  const DELIVERY = '0190c3a0-0000-7000-8000-00000000d001';
  const MESSAGE = '0190c3a0-0000-7000-8000-00000000a001';
  const HASH = 'a'.repeat(64);
  let client: Client;
  let recorded: RecordingDataSource;

  beforeAll(async () => {
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`
      INSERT INTO webhook_endpoints (id, url, secret)
      SELECT CASE n WHEN 1 THEN '${ENDPOINT}'::uuid ELSE webhook_uuid_v7() END,
             'https://hooks.example.com/' || n, 'whsec_seed'
        FROM generate_series(1, 20) AS n`);
    await client.query(`
      INSERT INTO webhook_endpoint_versions (endpoint_id, event_types, active)
      SELECT id, NULL, true FROM webhook_endpoints`);
    // Mostly delivered, some failed, a few still owed: the mix of a deployment a year on.
    await client.query(`
      WITH endpoint AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM webhook_endpoints)
      INSERT INTO webhook_deliveries (id, endpoint_id, origin, event_id, seq, type, status,
                                      attempt_count, next_attempt_at, created_at)
      SELECT CASE n WHEN 1 THEN '${DELIVERY}'::uuid ELSE webhook_uuid_v7() END, endpoint.id,
             'event', n, n, 'message.updated',
             CASE WHEN n % 100 = 0 THEN 'pending' WHEN n % 10 = 0 THEN 'failed'
                  ELSE 'succeeded' END,
             1, now() - interval '1 second' * (40000 - n), now() - interval '1 second' * (40000 - n)
        FROM generate_series(1, 40000) AS n
        JOIN endpoint ON endpoint.k = 1 + n % 20`);
    await client.query(`
      INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms,
                                             response_status)
      SELECT id, 1, created_at, 25, 204 FROM webhook_deliveries`);
    await client.query(`
      WITH customer AS (
        INSERT INTO customers (id, name)
        SELECT webhook_uuid_v7(), 'query-plans attachments' FROM generate_series(1, 200)
        RETURNING id),
      conversation AS (
        INSERT INTO conversations (id, customer_id, channel, sender_id, status)
        SELECT webhook_uuid_v7(), id, 'whatsapp', '${ENVIRONMENT_SENDER_IDS.whatsapp}', 'closed' FROM customer
        RETURNING id, customer_id)
      INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, status)
      SELECT CASE WHEN row_number() OVER () = 1 THEN '${MESSAGE}'::uuid ELSE webhook_uuid_v7() END,
             conversation.id, conversation.customer_id, 'inbound', 'whatsapp', 'photo', 'received'
        FROM conversation, generate_series(1, 100)`);
    await client.query(`
      WITH file AS (
        INSERT INTO attachments (id, status, content_type, size, sha256, created_at, stored_at)
        SELECT webhook_uuid_v7(), 'stored', 'image/jpeg', 80000, encode(sha256(id::text::bytea), 'hex'),
               now(), now()
          FROM messages
         WHERE customer_id IN (SELECT id FROM customers WHERE name = 'query-plans attachments')
        RETURNING id)
      SELECT count(*) FROM file`);
    await client.query(`
      INSERT INTO message_attachments (message_id, position, attachment_id)
      SELECT message.id, 1, file.id
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM messages
               WHERE customer_id IN (SELECT id FROM customers
                                      WHERE name = 'query-plans attachments')) AS message
        JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM attachments) AS file
          ON file.k = message.k`);
    for (const table of [...GROWING_TABLES, 'webhook_endpoints', 'webhook_endpoint_versions']) {
      await client.query(`ANALYZE ${table}`);
    }
    recorded = await recordingDataSource((text) => {
      if (/AS numbered/.test(text)) return [{ numbered: '1000', cursor: '0', listened: true }];
      if (/FOR UPDATE SKIP LOCKED/.test(text)) return [{ last_seq: '0' }];
      if (/^SELECT last_seq FROM event_sequence/.test(text)) return [{ last_seq: '1000' }];
      if (/RETURNING failing_since/.test(text)) return [[{ failing_since: new Date() }], 1];
      if (/RETURNING file.sha256/.test(text)) return [[{ sha256: HASH }], 1];
      if (/FROM "webhook_endpoints" "WebhookEndpoint"/.test(text)) {
        return [{ WebhookEndpoint_id: ENDPOINT, WebhookEndpoint_deleted_at: null }];
      }
      if (/FROM "webhook_deliveries" "WebhookDelivery"/.test(text)) {
        return [{ WebhookDelivery_id: DELIVERY }];
      }
      return undefined;
    });
  });
  afterAll(async () => {
    await recorded?.dataSource.destroy();
    await client.query('ROLLBACK');
    await client.end();
  });

  async function seqScans(statements: RecordedStatement[]): Promise<string[]> {
    const found: string[] = [];
    for (const { step, text, params } of statements) {
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, params);
      for (const node of scanNodes(rows[0]['QUERY PLAN'][0].Plan as PlanNode)) {
        const table = node['Relation Name'];
        if (node['Node Type'] === 'Seq Scan' && table && GROWING_TABLES.includes(table)) {
          found.push(`${step}: Seq Scan on ${table}`);
        }
      }
    }
    return found;
  }

  const stepsOf = (statements: RecordedStatement[]) => [...new Set(statements.map((s) => s.step))];

  it('every webhook statement finds its rows through an index', async () => {
    const { dataSource, record, statements } = recorded;
    const ledger = new WebhookDeliveryLedger(dataSource, {} as EventLog);
    const claimed = {
      id: DELIVERY,
      endpointId: ENDPOINT,
      attempt: 1,
    } as ClaimedDelivery;
    const attempt = { startedAt: new Date(), durationMs: 20, responseStatus: 500 };
    const service = new WebhookEndpointService(
      {} as AppConfig,
      dataSource,
      dataSource.getRepository(WebhookEndpoint),
      dataSource.getRepository(WebhookDelivery),
      dataSource.getRepository(WebhookDeliveryAttempt),
      {} as WebhookDeliverer,
    );
    const from = statements.length;
    await record('fan-out', () => ledger.fanOut(500));
    await record('claim', () => ledger.claimDue(20, 4, 20_000));
    await record('release', () => ledger.release(claimed, new Date()));
    await record('outcome', () =>
      ledger.recordAttempt(claimed, attempt, { status: 'pending', nextAttemptAt: new Date() }),
    );
    await record('endpoint healthy', () => ledger.markEndpointHealthy(ENDPOINT));
    await record('endpoint failing', () => ledger.markEndpointFailing(ENDPOINT));
    await record('endpoint disabled', () => ledger.disableEndpoint(ENDPOINT, 'gone'));
    await record('deliveries of removed events', () =>
      webhookDeliveryStore.removeForEvents!(dataSource.manager, ['1', '2']),
    );
    await record('replay', () => service.replayEvents(ENDPOINT, 0));
    await record('recover', () => service.recoverFailed(ENDPOINT, new Date(0)));
    await record('resend', () => service.resendDelivery(DELIVERY));
    await record('list failed deliveries', () =>
      service.listDeliveries(ENDPOINT, { status: 'failed', limit: 50 }),
    );
    await record('list attempts', () => service.listAttempts(DELIVERY));
    const mine = statements.slice(from);
    expect(stepsOf(mine)).toEqual([
      'fan-out',
      'claim',
      'release',
      'outcome',
      'endpoint healthy',
      'endpoint failing',
      'endpoint disabled',
      'deliveries of removed events',
      'replay',
      'recover',
      'resend',
      'list failed deliveries',
      'list attempts',
    ]);
    expect(await seqScans(mine)).toEqual([]);
  });

  it('every attachment statement finds its rows through an index', async () => {
    const { dataSource, record, statements } = recorded;
    const storage = {
      remove: async () => undefined,
      has: async () => true,
    } as unknown as AttachmentStorage;
    const service = new AttachmentService(
      dataSource.getRepository(Attachment),
      storage,
      {} as AppConfig,
      {} as Queue<FetchMediaJob>,
      {} as MediaUrlSigner,
      new AttachmentBlobs(dataSource, storage),
    );
    const from = statements.length;
    await record('record inbound files', () =>
      service.recordInbound(dataSource.manager, [
        {
          messageId: MESSAGE,
          sources: [
            { kind: 'whatsapp', mediaId: 'media', contentType: 'image/jpeg', filename: null },
          ],
        },
      ]),
    );
    await record('files of a page', () => service.listForMessages([MESSAGE]));
    await record('files to send', () => service.listForSending(MESSAGE));
    await record('check files to send', () => service.checkForMessage([MESSAGE], 'web'));
    await record('pending files', () => service.findPendingIds(60_000, 100));
    await record('fetch failed', () => service.recordFetchFailure(MESSAGE, 'timeout', false));
    await record('files of removed messages', () =>
      service.removeForMessages(dataSource.manager, [MESSAGE]),
    );
    const mine = statements.slice(from);
    expect(stepsOf(mine)).toEqual([
      'record inbound files',
      'files of a page',
      'files to send',
      'check files to send',
      'pending files',
      'fetch failed',
      'files of removed messages',
    ]);
    expect(await seqScans(mine)).toEqual([]);
  });
});
