import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

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

/** The real `node dist/worker.js` as a separate process, as in production. */
export async function startWorker(env: Record<string, string>): Promise<WorkerHarness> {
  const child = spawn(process.execPath, [WORKER], {
    env: { PATH: process.env.PATH, ...env, LOG_LEVEL: env.WORKER_LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A worker left running would sweep later test files' rows from the shared database.
      child.kill('SIGKILL');
      reject(new Error(`worker did not start:\n${output}`));
    }, 20_000);
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
