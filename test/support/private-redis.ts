import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { reapWithTestRun } from './reap-with-test-run';
import { waitFor } from './wait-for';

/** A free TCP port on loopback, for a private server that a test may stop and start. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A redis-server of the test's own on a spare port, so an outage test never touches the machine's
 * shared Redis. It keeps nothing on disk: a restart comes back empty, as after a crash. It dies
 * with the test run whatever happens (see reapWithTestRun); call stop() in afterAll all the same.
 */
export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.resume();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts the server again (empty); does nothing while it runs, so a cleanup may always call it. */
  async resume(): Promise<void> {
    if (this.running) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.child = child;
    reapWithTestRun(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
        return output.includes('Ready to accept connections');
      },
      `redis on ${this.port}`,
      10_000,
    );
  }

  /** SIGKILL, as a crash: clients see the connection drop, and nothing is saved. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
