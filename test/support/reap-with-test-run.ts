import { ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

const living = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Makes a process the tests started die with the test run, even when a test fails before its
 * afterAll, or Jest itself is killed. Two nets: on the Jest process's exit every child still
 * running is SIGKILLed; and a tiny `sh` watchdog per child reads its stdin from us, so when our
 * process dies in any way (SIGKILL included) the pipe closes and the watchdog kills the child.
 */
export function reapWithTestRun(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const running of living) running.kill('SIGKILL');
    });
  }
  living.add(child);
  const watchdog = spawn('sh', ['-c', 'read _; kill -9 "$0" 2>/dev/null', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Neither the watchdog nor its pipe may keep Jest alive.
  watchdog.unref();
  (watchdog.stdin as Socket).unref();
  child.once('exit', () => {
    living.delete(child);
    // The child is gone: its pid may be reused, so the watchdog must not fire any more.
    watchdog.kill('SIGKILL');
  });
}
