import { Client } from 'pg';
import { migrate } from '../src/platform/database/migrate';
import { MIGRATIONS } from '../src/platform/database/migrations';
import { TEST_DATABASE_URL } from './support/test-env';

/** Two pods starting at once each run `npm run migrate` against a database that does not exist yet. */
describe('Concurrent migrations', () => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname}_migrate_race`;
  const name = url.pathname.slice(1);
  const admin = new Client({ connectionString: TEST_DATABASE_URL });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('two runs on a fresh database both succeed; the second waits and applies nothing', async () => {
    const runs = await Promise.allSettled([migrate(url.toString()), migrate(url.toString())]);
    expect(runs.map((run) => run.status)).toEqual(['fulfilled', 'fulfilled']);
    const applied = runs.map((run) => (run as PromiseFulfilledResult<string[]>).value);
    const names = MIGRATIONS.map((migration) => migration.name);
    expect(applied.map((list) => list.length).sort()).toEqual([0, names.length]);

    const migrated = new Client({ connectionString: url.toString() });
    await migrated.connect();
    try {
      const { rows } = await migrated.query<{ name: string }>(
        'SELECT name FROM migrations ORDER BY timestamp',
      );
      expect(rows.map((row) => row.name)).toEqual(names);
      const { rows: tables } = await migrated.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'messages'`,
      );
      expect(tables[0].n).toBe(1);
    } finally {
      await migrated.end();
    }
  });
});
