import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './metrics';
import { spawnOwned } from './owned-processes';
import { waitFor } from './wait-for';

const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgbouncerOptions {
  /** Server connections per database and user: small, so that clients share them. */
  poolSize?: number;
}

/**
 * A PgBouncer of the test's own in transaction pooling mode (the settings docs/SCALING.md
 * gives), on a spare loopback port, in front of the Postgres that `databaseUrl` names: every
 * database there is reachable through it by name. Never the distribution's system service.
 * Debian's 1.18 has no max_prepared_statements: named statements do not survive a transaction.
 */
export class PrivatePgbouncer {
  private child?: ChildProcess;
  private log = '';

  private constructor(
    /** A temp dir of its own (config, auth file), removed by stop(). */
    readonly root: string,
    readonly port: number,
    private readonly server: URL,
  ) {}

  static async start(
    databaseUrl: string,
    options: PgbouncerOptions = {},
  ): Promise<PrivatePgbouncer> {
    if (!existsSync(PGBOUNCER)) {
      throw new Error(`no ${PGBOUNCER}: install Debian's pgbouncer package (.ci/run does)`);
    }
    const root = mkdtempSync(join(tmpdir(), 'private-pgbouncer-'));
    // The process itself is killed with Jest however it ends (spawnOwned); its files too.
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    const pgbouncer = new PrivatePgbouncer(root, await freePort(), new URL(databaseUrl));
    try {
      pgbouncer.writeConfig(options.poolSize ?? 5);
      await pgbouncer.run();
      return pgbouncer;
    } catch (error) {
      await pgbouncer.stop();
      throw error;
    }
  }

  /** `databaseUrl` with the host and port swapped for this PgBouncer's. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** What PgBouncer logged: connections, pools, and the errors it answered itself. */
  output(): string {
    return this.log;
  }

  /** Immediate shutdown (SIGTERM), and its files removed. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private writeConfig(poolSize: number): void {
    const user = decodeURIComponent(this.server.username) || 'postgres';
    const auth = join(this.root, 'userlist.txt');
    // Trust on loopback, as the test Postgres itself; the user must still be listed.
    writeFileSync(auth, `"${user}" ""\n`, { mode: 0o644 });
    const config = [
      '[databases]',
      `* = host=${this.server.hostname} port=${this.server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${this.port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${auth}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 1000',
      // node-postgres sends none of these unless asked; JDBC-style clients send the first.
      'ignore_startup_parameters = extra_float_digits',
    ].join('\n');
    writeFileSync(join(this.root, 'pgbouncer.ini'), `${config}\n`, { mode: 0o644 });
  }

  private async run(): Promise<void> {
    // PgBouncer refuses to run as root; as root it drops to the `postgres` user itself.
    const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
    const child = spawnOwned(PGBOUNCER, [...asUser, join(this.root, 'pgbouncer.ini')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => (this.log += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`pgbouncer exited:\n${this.log}`);
        return this.log.includes('process up');
      },
      `pgbouncer on ${this.port}`,
      10_000,
    );
  }
}
