import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { migrate } from '../../src/platform/database/migrate';
import { freePort } from './metrics';

const run = promisify(execFile);

/** The newest Postgres installed from the distribution's packages. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no Postgres server under ${root}`);
  return join(root, versions[0], 'bin');
}

/** Postgres refuses to run as root: the cluster belongs to the `postgres` OS user. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Clusters still running, stopped when the test process exits however it ends. */
const running = new Set<PrivatePostgres>();
process.once('exit', () => running.forEach((cluster) => cluster.destroySync()));

/**
 * A Postgres cluster of the test's own (initdb in a temp dir, on a spare loopback port), so an
 * outage test can stop and start it without touching the machine's shared Postgres. Durability
 * is off (fsync): nothing here outlives the test.
 */
export class PrivatePostgres {
  private readonly bin = postgresBin();
  private readonly user = postgresUser();
  private readonly dataDir: string;
  private up = false;

  private constructor(
    private readonly root: string,
    readonly port: number,
    readonly database: string,
  ) {
    this.dataDir = join(root, 'data');
  }

  /** initdb, start, and migrate `database` with the app's own migrations. */
  static async start(database = 'omnichannel'): Promise<PrivatePostgres> {
    const root = mkdtempSync(join(tmpdir(), 'private-postgres-'));
    const cluster = new PrivatePostgres(root, await freePort(), database);
    running.add(cluster);
    try {
      chownSync(root, cluster.user.uid, cluster.user.gid);
      await cluster.pg('initdb', [
        '-D',
        cluster.dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
      ]);
      await cluster.resume();
      await migrate(cluster.url);
      return cluster;
    } catch (error) {
      cluster.destroySync();
      throw error;
    }
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${this.database}`;
  }

  /** Starts the stopped cluster again; does nothing while it runs. */
  async resume(): Promise<void> {
    if (this.up) return;
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.root}`,
      '-c fsync=off',
      '-c full_page_writes=off',
    ].join(' ');
    const log = join(this.root, 'postgres.log');
    const args = ['-D', this.dataDir, '-l', log, '-o', options, '-w', '-t', '30', 'start'];
    await this.pg('pg_ctl', args);
    this.up = true;
  }

  /** `fast` is a clean shutdown (clients are disconnected); `immediate` is a crash. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
    this.up = false;
  }

  /** Rows from the cluster's database, through a connection of its own. */
  async query<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Stops the cluster if it runs and deletes its files. */
  destroySync(): void {
    if (!running.delete(this)) return;
    try {
      execFileSync(
        join(this.bin, 'pg_ctl'),
        ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'],
        {
          ...this.user,
          stdio: 'ignore',
        },
      );
    } catch {
      // Not running (never started, or already stopped).
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private async pg(program: string, args: string[]): Promise<void> {
    try {
      await run(join(this.bin, program), args, {
        ...this.user,
        cwd: this.root,
        env: { PATH: process.env.PATH, LC_ALL: 'C' },
      });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(
        `${program} ${args.at(-1)} failed: ${stderr || stdout || (error as Error).message}`,
      );
    }
  }
}
