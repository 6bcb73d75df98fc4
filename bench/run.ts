import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { closeDb, db, deleteQueueKeys, dropDatabase, migrateDatabase } from './lib/data';
import { stopAll } from './lib/processes';
import { renderReport, Results, summaryTable } from './lib/report';
import { settings } from './lib/settings';
import { StandIn, startStandIn } from './lib/stack';
import { runAccept } from './scenarios/accept';
import { runDeliver } from './scenarios/deliver';
import { runEndToEnd } from './scenarios/end-to-end';
import { runFanOut } from './scenarios/fan-out';
import { runGrowth } from './scenarios/growth';
import { runIngest } from './scenarios/ingest';
import { runPooling } from './scenarios/pooling';
import { runPrune } from './scenarios/prune';
import { runScale } from './scenarios/scale';
import { runScaleOut } from './scenarios/scale-out';
import { runSenders } from './scenarios/senders';

function step(command: string, args: string[]): void {
  const result = spawnSync(command, args, {
    cwd: settings.root,
    stdio: 'inherit',
    timeout: 300_000,
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status})`);
}

function log(text: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

async function versions(): Promise<Record<string, string>> {
  const { rows } = await db().query<{ server_version: string }>('SHOW server_version');
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 3 });
  const info = await redis.info('server').finally(() => redis.disconnect());
  return {
    Node: process.version,
    PostgreSQL: rows[0].server_version.split(' ')[0],
    Redis: /redis_version:(\S+)/.exec(info)?.[1] ?? '?',
    BullMQ: require('bullmq/package.json').version,
    autocannon: require('autocannon/package.json').version,
  };
}

async function runScenarios(results: Results, standIn: StandIn): Promise<void> {
  for (const scenario of settings.scenarios) {
    log(`scenario ${scenario}`);
    try {
      if (scenario === 'accept') results.accept = await runAccept(standIn);
      if (scenario === 'ingest') results.ingest = await runIngest(standIn);
      if (scenario === 'deliver') results.deliver = await runDeliver(standIn);
      if (scenario === 'e2e') results.e2e = await runEndToEnd(standIn);
      if (scenario === 'growth') results.growth = await runGrowth(standIn);
      if (scenario === 'prune') results.prune = await runPrune(standIn);
      if (scenario === 'fanout') results.fanout = await runFanOut(standIn);
      if (scenario === 'scale') results.scale = await runScale(standIn);
      if (scenario === 'pooling') results.pooling = await runPooling(standIn);
      if (scenario === 'senders') results.senders = await runSenders(standIn);
      if (scenario === 'scaleout') results.scaleout = await runScaleOut(standIn);
    } catch (error) {
      // One broken scenario must not cost the others' figures; the report lists it.
      log(`scenario ${scenario} failed: ${(error as Error).stack}`);
      results.errors.push({ scenario, message: (error as Error).message });
      await stopAll([standIn.child]);
    }
    log(`\n${summaryTable(results)}`);
  }
}

function writeReport(results: Results): void {
  mkdirSync(settings.resultsDir, { recursive: true });
  const report = renderReport(results);
  const date = results.startedAt.toISOString().slice(0, 10);
  writeFileSync(join(settings.resultsDir, `${date}.md`), report);
  writeFileSync(join(settings.resultsDir, 'latest.md'), report);
  writeFileSync(join(settings.resultsDir, 'latest.json'), JSON.stringify(results, null, 2));
  log(`wrote ${join(settings.resultsDir, `${date}.md`)} and latest.md`);
}

async function main(): Promise<void> {
  const results: Results = { startedAt: new Date(), versions: {}, errors: [] };
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: stopping everything the bench started`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    if (!settings.skipBuild) {
      log(`building src/ into ${settings.buildDir}`);
      // What `nest build` runs (nest-cli.json: tsconfig.build.json, no assets or plugins), into
      // the bench's own directory: others may rebuild dist/ while the bench runs.
      step('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', settings.buildDir]);
    }
    log(`migrating ${settings.databaseUrl}`);
    migrateDatabase();
    results.versions = await versions();
    const standIn = await startStandIn();
    log(`provider stand-in at ${standIn.apiUrl}, queue prefix ${settings.queuePrefix}`);
    await runScenarios(results, standIn);
  } finally {
    if (!interrupted) await cleanUp();
  }
  results.finishedAt = new Date();
  writeReport(results);
  if (results.errors.length > 0) process.exitCode = 1;
}

async function cleanUp(): Promise<void> {
  await stopAll();
  const deleted = await deleteQueueKeys().catch(() => 0);
  log(`deleted ${deleted} Redis keys under ${settings.queuePrefix}:`);
  if (settings.keepDatabase) {
    await closeDb();
  } else {
    await dropDatabase().catch((error: Error) =>
      log(`could not drop the database: ${error.message}`),
    );
  }
}

main().catch((error: Error) => {
  log(`bench failed: ${error.stack}`);
  process.exit(1);
});
