import { Client } from 'pg';
import type { PreparedSql, Statement } from '../src/platform/database/prepared-sql';
import { PRUNE_EVENTS, PRUNE_WEBHOOK_DELIVERIES } from '../src/modules/lifecycle/retention.sql';
import { ACCEPT_MESSAGE } from '../src/modules/messaging/accept-message.sql';
import { DeliveryLedger } from '../src/modules/messaging/delivery-ledger';
import { HAS_HELD_RECEIPTS } from '../src/modules/messaging/receipt-held.sql';
import type { ReceiptService } from '../src/modules/messaging/receipt.service';
import { idFloorAt } from '../src/platform/database/new-id';
import { TEST_DATABASE_URL } from './support/test-env';

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
        INSERT INTO conversations (id, customer_id, channel, status)
        SELECT webhook_uuid_v7(), id, 'web', 'closed' FROM customer RETURNING id, customer_id)
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
    expect(scansOf(query, 'events')).toEqual([
      'Index Scan using events_seq',
      'Index Scan using events_pkey',
    ]);
    expect(scansOf(query, 'webhook_deliveries')).toEqual([
      expect.stringMatching(/^Index (Only )?Scan using webhook_deliveries_pending_seq$/),
    ]);
  });
});
