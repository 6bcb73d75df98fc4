import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import type { Socket } from 'node:net';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * spawn(), remembered until the child exits, so that nothing a test started outlives the run:
 * - a test file failing half-way (a beforeAll that throws after starting a worker, an afterAll
 *   that never gets to stop()): see stop-leftover-processes.ts, run after every file;
 * - Jest exiting: every child still running is SIGKILLed on the process's exit;
 * - Jest itself killed (SIGKILL included): a tiny `sh` watchdog per child reads its stdin from us,
 *   so when our process dies the pipe closes and the watchdog kills the child.
 */
export function spawnOwned(command: string, args: string[], options: SpawnOptions): ChildProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const child = spawn(command, args, options);
  running.add(child);
  const watchdog = spawn('sh', ['-c', 'read _; kill -9 "$0" 2>/dev/null', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Neither the watchdog nor its pipe may keep Jest alive.
  watchdog.unref();
  (watchdog.stdin as Socket).unref();
  child.once('exit', () => {
    running.delete(child);
    // The child is gone: its pid may be reused, so the watchdog must not fire any more.
    watchdog.kill('SIGKILL');
  });
  return child;
}

/** SIGKILLs every owned child still running and answers what they were. */
export async function killLeftovers(): Promise<string[]> {
  const leftovers = [...running];
  await Promise.all(
    leftovers.map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
  return leftovers.map((child) => `${child.pid} ${child.spawnargs.join(' ')}`);
}
