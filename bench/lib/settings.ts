import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

function wholeNumber(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number, got "${raw}"`);
  return value;
}

const RESULT_KNOBS =
  /^BENCH_(SCENARIOS|DURATION_S|WARMUP_S|CONNECTIONS|MESSAGES|CONCURRENCY|PROVIDER_DELAY_MS|CONVERSATIONS|INGEST_NEW_PERCENT|GROWTH_\w+|PRUNE_\w+|SCALE_\w+|SENDERS|LOG_LEVEL|PROFILE|RESULTS_TMP)$/;

export const SCENARIOS = [
  'accept',
  'ingest',
  'deliver',
  'e2e',
  'growth',
  'prune',
  'fanout',
  'scale',
  'pooling',
  'senders',
  'scaleout',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * Run only when BENCH_SCENARIOS names them: `scale` seeds for minutes at full size, `pooling` and
 * `scaleout` compare deployment variants rather than the product against a baseline.
 */
const ON_REQUEST: readonly ScenarioName[] = ['scale', 'pooling', 'scaleout'];
const DEFAULT_SCENARIOS = SCENARIOS.filter((name) => !ON_REQUEST.includes(name));

function scenarios(): ScenarioName[] {
  const raw = process.env.BENCH_SCENARIOS?.trim();
  if (!raw) return DEFAULT_SCENARIOS;
  const wanted = raw.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')}`);
  return wanted as ScenarioName[];
}

/** Every knob of `npm run bench`, read once; the defaults are the documented full run. */
export const settings = {
  root: join(__dirname, '..', '..'),
  tmpDir: join(__dirname, '..', '.tmp'),
  /** The bench's own build of src/, so that a rebuild of dist/ mid-run cannot change what runs. */
  buildDir: join(__dirname, '..', '.tmp', 'dist'),
  // Only the documented full run writes bench/results/; a run with any knob changed (shorter,
  // fewer scenarios) goes to bench/.tmp/results, so a quick check never replaces quoted figures.
  resultsDir: Object.keys(process.env).some((name) => RESULT_KNOBS.test(name))
    ? join(__dirname, '..', '.tmp', 'results')
    : join(__dirname, '..', 'results'),
  scenarios: scenarios(),
  durationS: wholeNumber('BENCH_DURATION_S', 20),
  warmupS: wholeNumber('BENCH_WARMUP_S', 5),
  connections: wholeNumber('BENCH_CONNECTIONS', 50),
  messages: wholeNumber('BENCH_MESSAGES', 20_000),
  concurrency: wholeNumber('BENCH_CONCURRENCY', 20),
  providerDelayMs: wholeNumber('BENCH_PROVIDER_DELAY_MS', 20),
  poolSize: wholeNumber('BENCH_CONVERSATIONS', 1_000),
  ingestNewShare: wholeNumber('BENCH_INGEST_NEW_PERCENT', 30) / 100,
  growthSmallRows: wholeNumber('BENCH_GROWTH_SMALL_ROWS', 10_000),
  growthLargeRows: wholeNumber('BENCH_GROWTH_LARGE_ROWS', 1_000_000),
  growthRate: wholeNumber('BENCH_GROWTH_RATE', 300),
  growthDurationS: wholeNumber('BENCH_GROWTH_DURATION_S', 15),
  pruneRows: wholeNumber('BENCH_PRUNE_ROWS', 1_000_000),
  pruneRounds: Math.max(1, wholeNumber('BENCH_PRUNE_ROUNDS', 2)),
  scaleSize: wholeNumber('BENCH_SCALE_SIZE', 1),
  scaleSmall: wholeNumber('BENCH_SCALE_SMALL', 0.001),
  senders: Math.max(2, wholeNumber('BENCH_SENDERS', 1_000)),
  databaseUrl:
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/omnichannel_bench',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  queuePrefix: `bench-${randomBytes(4).toString('hex')}`,
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
  profile: process.env.BENCH_PROFILE === '1',
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  keepDatabase: process.env.BENCH_KEEP_DB === '1',
  apiKey: 'bench-key',
  /** Seals the senders scenario's senders; production refuses to start without one. */
  senderSecretsKey: Buffer.alloc(32, 'bench-sender-secrets').toString('base64'),
  whatsapp: {
    accessToken: 'bench-whatsapp-token',
    phoneNumberId: '106540352242922',
    appSecret: 'bench-app-secret',
    verifyToken: 'bench-verify-token',
  },
};

export type Settings = typeof settings;
