import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivatePgbouncer } from './private-pgbouncer';

/** What the global setup hands on to the test files, which Jest runs in contexts of their own. */
const URL_VARIABLE = 'TEST_PGBOUNCER_URL';
const LOG_VARIABLE = 'TEST_PGBOUNCER_APP_LOG';

/** Errors of a statement name that a pooled server connection does (not) know; raw or in JSON logs. */
export const SESSION_STATE_ERROR =
  /prepared statement \\?"[^"\\]*\\?" (does not exist|already exists)/;

type Holder = typeof globalThis & { sharedPgbouncer?: PrivatePgbouncer };

/**
 * Global setup: one PgBouncer in transaction mode for the whole run, which every file's API and
 * workers go through (test-env.ts reads the URL; the pool is small, so they share its server
 * connections), stopped by the global teardown, or with the Jest process however it ends.
 */
export async function startSharedPgbouncer(databaseUrl: string): Promise<void> {
  const pgbouncer = await PrivatePgbouncer.start(databaseUrl);
  (globalThis as Holder).sharedPgbouncer = pgbouncer;
  process.env[URL_VARIABLE] = pgbouncer.urlFor(databaseUrl);
  process.env[LOG_VARIABLE] = join(pgbouncer.root, 'app.log');
  appendFileSync(process.env[LOG_VARIABLE], '');
}

/** Set in the files' environment while the shared PgBouncer runs. */
export function sharedPgbouncerUrl(): string | undefined {
  return process.env[URL_VARIABLE];
}

/** Worker harness: a worker's output, kept for the teardown's scan. */
export function keepAppLog(output: string): void {
  const log = process.env[LOG_VARIABLE];
  if (log) appendFileSync(log, output);
}

/** Global teardown: stops it, and fails the run if any process logged a lost statement. */
export async function stopSharedPgbouncer(): Promise<void> {
  const pgbouncer = (globalThis as Holder).sharedPgbouncer;
  if (!pgbouncer) return;
  const log = readFileSync(process.env[LOG_VARIABLE]!, 'utf8') + pgbouncer.output();
  await pgbouncer.stop();
  const lost = log.split('\n').filter((line) => SESSION_STATE_ERROR.test(line));
  if (lost.length > 0) {
    throw new Error(`through PgBouncer, processes lost session state:\n${lost.join('\n')}`);
  }
}
