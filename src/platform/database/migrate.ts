import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/**
 * `npm run migrate`: creates the database named in the URL when it is missing, then applies
 * pending migrations. Safe to run on every start and from several hosts at once: the whole run
 * holds a Postgres advisory lock named after the database, so a second run waits for the first
 * and then finds nothing left to do (TypeORM itself takes no lock). Runs against
 * MIGRATION_DATABASE_URL when set (a direct connection past a pooler), else DATABASE_URL.
 */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const name = databaseName(databaseUrl);
  // Before the lock, on a connection of its own: CREATE DATABASE cannot run inside the lock's
  // transaction, and a connection opened while holding the lock could wait behind pooled
  // server connections that waiting migrators hold.
  await createDatabaseIfMissing(databaseUrl, name);
  const admin = new Client({ connectionString: adminUrl(databaseUrl) });
  await admin.connect();
  try {
    // On the server's own `postgres` database, apart from the connections migrations use. A
    // lock of the transaction, held open for the whole run, not of the session: through a
    // transaction-mode PgBouncer a session lock would stay on a pooled server connection that
    // the next client (another migrator included, which would then hold it too) gets. Either
    // way it is released with the connection if this process dies mid-run.
    const key = migrationLockKey(name);
    await admin.query('BEGIN');
    const [{ acquired }] = (
      await admin.query<{ acquired: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS acquired', [
        key,
      ])
    ).rows;
    if (!acquired) {
      process.stdout.write(`another migration of ${name} is running; waiting for it\n`);
      await admin.query('SELECT pg_advisory_xact_lock($1)', [key]);
    }
    const applied = await runMigrations(databaseUrl);
    await admin.query('COMMIT');
    return applied;
  } finally {
    // Ending the connection also ends a transaction left open by a failure, releasing the lock.
    await admin.end();
  }
}

function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
}

function adminUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

/** A 64-bit advisory lock key per database name, so migrations of other databases never wait. */
export function migrationLockKey(name: string): string {
  return createHash('sha256')
    .update(`omnichannel migrate ${name}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

async function createDatabaseIfMissing(databaseUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl(databaseUrl) });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) return;
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    process.stdout.write(`created database ${name}\n`);
  } catch (error) {
    // Created meanwhile by another migrator: duplicate_database, or the catalog's unique index
    // when both inserted at once.
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
  } finally {
    await admin.end();
  }
}

async function runMigrations(databaseUrl: string): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions({ databaseUrl }), logging: false });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  migrate(loadConfig().migrationDatabaseUrl)
    .then((applied) => {
      process.stdout.write(
        applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'database is up to date\n',
      );
    })
    .catch((error: Error) => {
      process.stderr.write(`migration failed: ${error.message}\n`);
      process.exit(1);
    });
}
