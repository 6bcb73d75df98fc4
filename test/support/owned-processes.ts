import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';

const running = new Set<ChildProcess>();

/**
 * spawn(), remembered until the child exits, so that a test file failing half-way (a beforeAll
 * that throws after starting a worker, an afterAll that never gets to stop()) leaves nothing
 * running after the run: see stop-leftover-processes.ts.
 */
export function spawnOwned(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  running.add(child);
  child.once('exit', () => running.delete(child));
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
