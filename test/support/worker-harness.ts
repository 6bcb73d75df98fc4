import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnOwned } from './owned-processes';
import { keepAppLog, sharedPgbouncerUrl } from './shared-pgbouncer';

export interface WorkerHarness {
  process: ChildProcess;
  /** Everything the worker printed, for assertions on logs. */
  output(): string;
  /** SIGTERM, then wait for a clean exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, with no chance to finish anything. */
  kill(): Promise<void>;
}

const WORKER = join(__dirname, '..', '..', 'dist', 'worker.js');
// Generous: on a loaded two-core box a worker has been seen to need over 20 s to boot.
const START_TIMEOUT_MS = 40_000;

/**
 * The real `node dist/worker.js` as a separate process, as in production. Through the run's
 * PgBouncer, two of them, scaled out as a deployment would be, so that their transactions
 * interleave on the pooled server connections; the harness then stands for both.
 */
export async function startWorker(env: Record<string, string>): Promise<WorkerHarness> {
  if (!sharedPgbouncerUrl()) return startWorkerProcess(env);
  const workers = await Promise.all([startWorkerProcess(env), startWorkerProcess(env)]);
  for (const worker of workers) worker.process.once('close', () => keepAppLog(worker.output()));
  return {
    process: workers[0].process,
    output: () => workers.map((worker) => worker.output()).join(''),
    async stop() {
      const codes = await Promise.all(workers.map((worker) => worker.stop()));
      return codes.find((code) => code !== 0) ?? codes[0];
    },
    async kill() {
      await Promise.all(workers.map((worker) => worker.kill()));
    },
  };
}

async function startWorkerProcess(env: Record<string, string>): Promise<WorkerHarness> {
  const child = spawnOwned(process.execPath, [WORKER], {
    env: { PATH: process.env.PATH, ...env, LOG_LEVEL: env.WORKER_LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker did not start:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before starting:\n${output}`));
    });
  });
  // A worker that missed its start-up deadline must not go on sending in the tests after this one.
  await started.catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
