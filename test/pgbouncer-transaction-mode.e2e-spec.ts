import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { DatabasePoolMode } from '../src/platform/config/app-config';
import { dataSourceOptions } from '../src/platform/database/data-source-options';
import { migrate } from '../src/platform/database/migrate';
import { MIGRATIONS } from '../src/platform/database/migrations';
import { PreparedSql, statement } from '../src/platform/database/prepared-sql';
import { sql } from './support/db';
import { createConversation } from './support/factories';
import { INBOUND_ENV, postWhatsapp, uniqueWaId, whatsappText } from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { PrivatePgbouncer } from './support/private-pgbouncer';
import { SESSION_STATE_ERROR } from './support/shared-pgbouncer';
import { TEST_DATABASE_URL, testEnv } from './support/test-env';
import { waitFor } from './support/wait-for';

const run = promisify(execFile);

/**
 * PgBouncer in transaction mode, as Debian ships it (1.18: no prepared statements across
 * transactions), with a pool of two server connections that many clients share: whatever a
 * process leaves on a session (a statement name, a session lock, a startup setting) is gone, or
 * lands on another client, by its next transaction.
 */
describe('Postgres through PgBouncer in transaction mode', () => {
  let pgbouncer: PrivatePgbouncer;
  let url: string;

  beforeAll(async () => {
    pgbouncer = await PrivatePgbouncer.start(TEST_DATABASE_URL, { poolSize: 2 });
    url = pgbouncer.urlFor(TEST_DATABASE_URL);
  });
  afterAll(() => pgbouncer?.stop());

  /** The hot paths' statement runner on a pool of its own through PgBouncer; answers the errors. */
  async function burstOfStatements(poolMode: DatabasePoolMode): Promise<string[]> {
    const database = { connectTimeoutMs: 5_000, statementTimeoutMs: 0, poolMode };
    const dataSource = new DataSource(dataSourceOptions({ databaseUrl: url, database }));
    await dataSource.initialize();
    try {
      const prepared = new PreparedSql(dataSource, { database });
      const probe = statement('pgbouncer-probe', 'SELECT $1::int + 1 AS next');
      const runs = await Promise.allSettled(
        Array.from({ length: 300 }, (_, i) => prepared.rows<{ next: number }>(probe, [i])),
      );
      const answers = runs.flatMap((r, i) => (r.status === 'fulfilled' ? [[r.value, i]] : []));
      for (const [rows, i] of answers) expect(rows).toEqual([{ next: (i as number) + 1 }]);
      return runs.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    } finally {
      await dataSource.destroy();
    }
  }

  it('loses named statements between transactions (what session mode sends)', async () => {
    const errors = await burstOfStatements('session');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((message) => SESSION_STATE_ERROR.test(message))).toBe(true);
  });

  it('DATABASE_POOL_MODE=transaction runs the same statements unnamed: none is lost', async () => {
    expect(await burstOfStatements('transaction')).toEqual([]);
  });

  describe('the API and two workers', () => {
    let stack: OutboundStack;

    beforeAll(async () => {
      // The default DATABASE_STATEMENT_TIMEOUT_MS (4 s) applies: sent at connect, PgBouncer
      // would refuse every connection ("unsupported startup parameter").
      stack = await startOutboundStack({
        DATABASE_URL: url,
        DATABASE_POOL_MODE: 'transaction',
        WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
      });
      await Promise.all([stack.startWorker(), stack.startWorker()]);
    });
    afterAll(() => stack?.stop());

    it('accept, deliver and ingest a concurrent burst', async () => {
      const conversations = await Promise.all(
        ['whatsapp', 'sms', 'whatsapp', 'sms'].map((channel) =>
          createConversation(stack.api, channel),
        ),
      );
      const senders = Array.from({ length: 20 }, () => uniqueWaId());
      const [accepted, ingested] = await Promise.all([
        Promise.all(
          Array.from({ length: 60 }, (_, i) => {
            const conversation = conversations[i % conversations.length];
            return stack.send(conversation.id, conversation.channel, { body: `burst ${i}` });
          }),
        ),
        Promise.all(
          senders.map((from) => postWhatsapp(stack.api, whatsappText({ from, body: 'hi' }))),
        ),
      ]);
      expect(ingested.map((response) => response.status)).toEqual(senders.map(() => 200));

      const ids = accepted.map((message) => message.id as string);
      const sent = await waitFor(
        async () => {
          const rows = await sql(
            `SELECT count(*)::int AS n FROM messages WHERE id = ANY ($1) AND status = 'sent'`,
            [ids],
          );
          return rows[0].n === ids.length;
        },
        'every message of the burst sent',
        30_000,
      );
      expect(sent).toBe(true);
      expect(stack.whatsapp.accepted.length + stack.twilio.accepted.length).toBe(ids.length);
      const stored = await sql(
        `SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id
           JOIN customers u ON u.id = c.customer_id
          WHERE m.direction = 'inbound' AND u.phone = ANY ($1)`,
        [senders.map((from) => `+${from}`)],
      );
      expect(stored[0].n).toBe(senders.length);
      for (const worker of stack.workers) expect(worker.output()).not.toMatch(SESSION_STATE_ERROR);
    });
  });

  describe('migrations', () => {
    const fresh = new URL(TEST_DATABASE_URL);
    fresh.pathname = `${fresh.pathname}_through_pgbouncer`;
    const name = fresh.pathname.slice(1);

    async function dropFresh(): Promise<void> {
      const admin = new Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin
        .query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
        .finally(() => admin.end());
    }
    beforeAll(dropFresh);
    afterAll(dropFresh);

    it('two runs at once through it both succeed; the second waits and applies nothing', async () => {
      const through = pgbouncer.urlFor(fresh.toString());
      const runs = await Promise.allSettled([migrate(through), migrate(through)]);
      expect(runs.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
      const applied = runs.map((result) => (result as PromiseFulfilledResult<string[]>).value);
      expect(applied.map((list) => list.length).sort()).toEqual([0, MIGRATIONS.length]);
    });

    it('`npm run migrate` connects to MIGRATION_DATABASE_URL when it is set', async () => {
      const { stdout } = await run(
        process.execPath,
        [join(__dirname, '..', 'dist', 'platform', 'database', 'migrate.js')],
        {
          env: {
            PATH: process.env.PATH,
            ...testEnv({
              // Nothing listens there: only the direct connection can answer.
              DATABASE_URL: 'postgres://postgres@127.0.0.1:1/unreachable',
              DATABASE_POOL_MODE: 'transaction',
              MIGRATION_DATABASE_URL: fresh.toString(),
            }),
          },
        },
      );
      expect(stdout).toMatch(/^(database is up to date|applied migrations: .*)$/m);
    });
  });
});
