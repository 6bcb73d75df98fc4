import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/**
 * `npm run migrate`: creates the database named in DATABASE_URL when it is missing, then applies
 * pending migrations. Safe to run on every start and from several hosts at once (TypeORM takes
 * an advisory lock in Postgres while it migrates).
 */
export async function migrate(databaseUrl: string): Promise<string[]> {
  await createDatabaseIfMissing(databaseUrl);
  const dataSource = new DataSource({ ...dataSourceOptions({ databaseUrl }), logging: false });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

async function createDatabaseIfMissing(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await admin
        .query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`)
        .catch((error: { code?: string }) => {
          // Another process created it between our check and our CREATE: that is fine.
          if (error.code !== '42P04') throw error;
        });
      process.stdout.write(`created database ${name}\n`);
    }
  } finally {
    await admin.end();
  }
}

if (require.main === module) {
  migrate(loadConfig().databaseUrl)
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
