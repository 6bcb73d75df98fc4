import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../src/platform/database/migrate';
import { startSharedPgbouncer } from './support/shared-pgbouncer';
import { TEST_DATABASE_URL } from './support/test-env';

const root = join(__dirname, '..');

/** Newest modification time under a folder, to tell whether dist/ is older than src/. */
function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }, 0);
}

/**
 * Once per run: a fresh test database migrated from zero (which also proves the migrations), and
 * an up-to-date build, because the e2e tests run the real `node dist/worker.js` process.
 */
export default async function globalSetup(): Promise<void> {
  let built = 0;
  try {
    built = statSync(join(root, 'dist', 'worker.js')).mtimeMs;
  } catch {
    built = 0;
  }
  // TEST_SKIP_BUILD=1: for suites that need no worker process, run beside another build.
  if (process.env.TEST_SKIP_BUILD !== '1' && built < newest(join(root, 'src'))) {
    execFileSync('npx', ['nest', 'build'], { cwd: root, stdio: 'inherit' });
  }

  const url = new URL(TEST_DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
  await migrate(TEST_DATABASE_URL);

  // TEST_THROUGH_PGBOUNCER=1 (scripts/test.sh's second run): the API and workers of every file
  // go through one PgBouncer in transaction mode; the tests' own reads stay direct.
  if (process.env.TEST_THROUGH_PGBOUNCER === '1') await startSharedPgbouncer(TEST_DATABASE_URL);
}
