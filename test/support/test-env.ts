import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedPgbouncerUrl } from './shared-pgbouncer';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/omnichannel_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The environment of one test file's API and worker. Each file gets its own queue prefix, so
 * files never see each other's jobs; short delays come from configuration, as in production.
 */
export function testEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const pgbouncerUrl = sharedPgbouncerUrl();
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    DATABASE_URL: pgbouncerUrl ?? TEST_DATABASE_URL,
    // Through the run's PgBouncer (TEST_THROUGH_PGBOUNCER=1), configured as docs/SCALING.md says.
    ...(pgbouncerUrl && {
      DATABASE_POOL_MODE: 'transaction',
      MIGRATION_DATABASE_URL: TEST_DATABASE_URL,
    }),
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    API_KEYS: '',
    OUTBOUND_RETRY_DELAYS_MS: '200,400,800',
    OUTBOUND_HTTP_TIMEOUT_MS: '2000',
    OUTBOX_SWEEP_INTERVAL_MS: '500',
    OUTBOX_SWEEP_GRACE_MS: '1000',
    OUTBOUND_LOCK_DURATION_MS: '2000',
    // Several workers run at once in tests: no fixed metrics port unless a test asks for one.
    WORKER_METRICS_PORT: '0',
    // Files a test stores (email attachments, uploads) stay out of the checkout.
    STORAGE_PATH: join(tmpdir(), 'omnichannel-test-attachments'),
    // One key for every file of a run: senders one file makes stay in the shared database, and
    // every later API and worker opens their secrets instead of logging that it cannot.
    SENDER_SECRETS_KEY: Buffer.alloc(32, 'test-sender-secrets').toString('base64'),
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
