import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './metrics';
import { spawnOwned } from './owned-processes';
import { waitFor } from './wait-for';

export interface ApiProcess {
  url: string;
  process: ChildProcess;
  /** Everything the API printed (stdout and stderr), for assertions on logs. */
  output(): string;
  stop(): Promise<number | null>;
}

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
// Generous: on a loaded two-core box an API process has been seen to need over 20 s to boot.
const START_TIMEOUT_MS = 40_000;

/**
 * The real `node dist/main.js` as a separate process, so that its log output (written by pino
 * straight to file descriptor 1) can be captured whole.
 */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawnOwned(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    START_TIMEOUT_MS,
  ).catch((error: Error) => {
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
