import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { settings } from './settings';

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last few kilobytes it printed, for error messages. */
  tail(): string;
  stop(): Promise<void>;
}

const running = new Set<Child>();
let statementTimeouts = 0;
const TAIL_CHARS = 4_000;
const STOP_GRACE_MS = 10_000;
const PROFILER = process.env.BENCH_PRELOAD ?? join(__dirname, 'cpu-profiler.js');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

export interface StartOptions {
  name: string;
  /** Node arguments: a script and its arguments. */
  args: string[];
  env: Record<string, string>;
  /** Resolves once this appears in its output; or use `ready` for an HTTP probe. */
  readyText?: string;
  ready?: () => Promise<boolean>;
  typescript?: boolean;
  ipc?: boolean;
  profile?: boolean;
  timeoutMs?: number;
}

/**
 * A Node child process that the bench owns: its output goes to bench/.tmp/<name>.log, and
 * `stopAll` ends it whatever happened, so a failed run leaves nothing behind.
 */
export async function startChild(options: StartOptions): Promise<Child> {
  mkdirSync(settings.tmpDir, { recursive: true });
  const log = createWriteStream(join(settings.tmpDir, `${options.name}.log`), { flags: 'a' });
  const nodeArgs = [
    ...(options.typescript ? TS_NODE : []),
    ...(options.profile ? ['-r', PROFILER] : []),
    ...options.args,
  ];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: settings.root,
    env: {
      PATH: process.env.PATH ?? '',
      BENCH_PROFILE_DIR: join(settings.tmpDir, 'profiles'),
      BENCH_PROFILE_NAME: options.name,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  let tail = '';
  const onOutput = (chunk: Buffer): void => {
    log.write(chunk);
    statementTimeouts += chunk.toString().split('statement timeout').length - 1;
    tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => log.end());

  const handle: Child = {
    name: options.name,
    process: child,
    tail: () => tail,
    async stop() {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(handle);
      throw new Error(`${options.name} exited before it was ready:\n${tail}`);
    }
    if (options.readyText && tail.includes(options.readyText)) break;
    if (options.ready && (await options.ready().catch(() => false))) break;
    if (!options.readyText && !options.ready) break;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${options.name} was not ready in time:\n${tail}`);
    }
    await sleep(100);
  }
  return handle;
}

/** Writes the CPU profiles of children started with `profile` (see cpu-profiler.js). */
export async function flushProfiles(children: Child[]): Promise<void> {
  for (const child of children) child.process.kill('SIGWINCH');
  await sleep(2_000);
}

/** How often any child has printed "statement timeout" (Postgres's 57014) so far. */
export function statementTimeoutsSeen(): number {
  return statementTimeouts;
}

export function runningChildren(): Child[] {
  return [...running];
}

export async function stopAll(except: Child[] = []): Promise<void> {
  await Promise.all(
    [...running].filter((child) => !except.includes(child)).map((child) => child.stop()),
  );
}

// Last resort when the bench itself dies: no orphan keeps a port or a Postgres connection.
process.on('exit', () => {
  for (const child of running) child.process.kill('SIGKILL');
});

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  done: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
