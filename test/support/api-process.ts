import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './metrics';
import { waitFor } from './wait-for';
import { reapWithTestRun } from './reap-with-test-run';

export interface ApiProcess {
  url: string;
  process: ChildProcess;
  /** Everything the API printed (stdout and stderr), for assertions on logs. */
  output(): string;
  stop(): Promise<number | null>;
}

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/**
 * The real `node dist/main.js` as a separate process, so that its log output (written by pino
 * straight to file descriptor 1) can be captured whole.
 */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapWithTestRun(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}:\n${output}`);
      return fetch(`${url}/health/live`).then(
        (response) => response.ok,
        () => false,
      );
    },
    'the API process to answer /health/live',
    20_000,
  ).catch((error: Error) => {
    // An API that starts late would outlive the test that gave up on it.
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
