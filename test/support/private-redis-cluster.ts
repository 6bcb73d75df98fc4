import { ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnOwned } from './owned-processes';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** Three primaries, one replica each: the smallest cluster that survives losing a primary. */
const NODES = 6;
/** A lost primary is noticed after this long; short, so a failover test does not wait long. */
const NODE_TIMEOUT_MS = 2_000;

/** A line of CLUSTER NODES: `id host:port@bus flags primary-id ping pong epoch state slots...`. */
interface ClusterNode {
  id: string;
  port: number;
  primary: boolean;
  primaryId: string;
  /** Inclusive slot ranges a primary serves. */
  slots: [number, number][];
}

/**
 * A Redis Cluster of the test's own on loopback: six `redis-server --cluster-enabled yes` on
 * consecutive ports from `firstPort` (each also binds port + 10000 for the cluster bus), joined
 * by `redis-cli --cluster create` with one replica per primary. Nothing is kept on disk but the
 * nodes' cluster config files, in a folder under TMPDIR removed by stop().
 */
export class PrivateRedisCluster {
  private readonly children: { port: number; child: ChildProcess }[] = [];
  private readonly dir: string;

  private constructor(readonly firstPort: number) {
    this.dir = join(tmpdir(), `redis-cluster-${firstPort}-${process.pid}`);
  }

  /** Starts and joins the nodes; stops whatever it started if that fails. */
  static async start(firstPort: number): Promise<PrivateRedisCluster> {
    const cluster = new PrivateRedisCluster(firstPort);
    try {
      await cluster.create();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  get ports(): number[] {
    return Array.from({ length: NODES }, (_, index) => this.firstPort + index);
  }

  /** The value of REDIS_CLUSTER_NODES: every node, as a deployment would list them. */
  get nodesVariable(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** Runs redis-cli against one node and answers its output. */
  async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
    return stdout.trim();
  }

  async nodes(): Promise<ClusterNode[]> {
    for (const { port } of this.running()) {
      const output = await this.cli(port, 'CLUSTER', 'NODES').catch(() => undefined);
      if (!output) continue;
      return output.split('\n').map((line) => {
        const [id, address, flags, primaryId, , , , , ...slots] = line.split(' ');
        return {
          id,
          port: Number(address.split('@')[0].split(':')[1]),
          primary: flags.split(',').includes('master'),
          primaryId,
          slots: slots
            .filter((range) => /^\d+(-\d+)?$/.test(range))
            .map((range) => {
              const [start, end = start] = range.split('-').map(Number);
              return [start, end] as [number, number];
            }),
        };
      });
    }
    throw new Error('no cluster node answers');
  }

  /** The port of the primary serving the slot of `key`, and of its replica. */
  async ownersOf(key: string): Promise<{ primary: number; replica?: number }> {
    const slot = Number(await this.cli(this.running()[0].port, 'CLUSTER', 'KEYSLOT', key));
    const nodes = await this.nodes();
    const primary = nodes.find(
      (node) => node.primary && node.slots.some(([start, end]) => slot >= start && slot <= end),
    );
    if (!primary) throw new Error(`no primary serves slot ${slot}`);
    // None after a crash: the dead primary it replaced cannot follow it.
    const replica = nodes.find((node) => node.primaryId === primary.id);
    return { primary: primary.port, replica: replica?.port };
  }

  /**
   * The replica of the primary serving `key` takes over, and resolves once the live nodes agree
   * and report the cluster ok. `manual`: CLUSTER FAILOVER sent to the replica, which waits for
   * the primary to hand over every write (the primary becomes its replica). `crash`: the primary
   * is SIGKILLed; the replica is elected after the node timeout, and writes it had not yet
   * received are lost.
   */
  async failOver(key: string, how: 'manual' | 'crash'): Promise<{ from: number; to: number }> {
    const { primary, replica } = await this.ownersOf(key);
    if (!replica) throw new Error(`the primary on ${primary} has no replica to fail over to`);
    if (how === 'manual') {
      await this.cli(replica, 'CLUSTER', 'FAILOVER');
    } else {
      await this.kill(primary);
    }
    await waitFor(
      async () => {
        // Mid-switch the nodes' views disagree for a moment.
        const owners = await this.ownersOf(key).catch(() => undefined);
        return owners?.primary === replica && (await this.isOk());
      },
      `port ${replica} to take over from ${primary}`,
      20_000,
    );
    // The demoted primary syncs from its successor before it could take over in turn.
    if (how === 'manual') await this.waitForReplicaSync(primary);
    return { from: primary, to: replica };
  }

  /** A replica can only be elected once it holds its primary's data. */
  private async waitForReplicaSync(port: number): Promise<void> {
    await waitFor(
      async () => (await this.cli(port, 'INFO', 'replication')).includes('master_link_status:up'),
      `the replica on ${port} to sync`,
      20_000,
    );
  }

  /** Every running node reports cluster_state:ok. */
  async isOk(): Promise<boolean> {
    const answers = await Promise.all(
      this.running().map(({ port }) => this.cli(port, 'CLUSTER', 'INFO').catch(() => '')),
    );
    return answers.every((info) => info.includes('cluster_state:ok'));
  }

  /** SIGKILLs every node and removes their files; safe to call twice or after a failed start. */
  async stop(): Promise<void> {
    await Promise.all(this.running().map(({ port }) => this.kill(port)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private running() {
    return this.children.filter(
      ({ child }) => child.exitCode === null && child.signalCode === null,
    );
  }

  private async kill(port: number): Promise<void> {
    const node = this.running().find((candidate) => candidate.port === port);
    if (!node) return;
    const exited = new Promise((resolve) => node.child.once('exit', resolve));
    node.child.kill('SIGKILL');
    await exited;
  }

  private async create(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    await Promise.all(this.ports.map((port) => this.startNode(port)));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await waitFor(() => this.isOk(), 'cluster_state:ok on every node', 20_000);
    // Every replica attached to its primary and in sync, so that a failover has somewhere to go.
    const replicas = await waitFor(async () => {
      const found = (await this.nodes()).filter((node) => !node.primary);
      return found.length === NODES / 2 && found;
    }, 'three replicas');
    for (const replica of replicas) await this.waitForReplicaSync(replica.port);
  }

  private async startNode(port: number): Promise<void> {
    const dir = join(this.dir, String(port));
    mkdirSync(dir, { recursive: true });
    const child = spawnOwned(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        String(NODE_TIMEOUT_MS),
        '--save',
        '',
        '--appendonly',
        'no',
        // Replicas sync at once instead of after diskless replication's default 5 s wait.
        '--repl-diskless-sync-delay',
        '0',
        '--dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.children.push({ port, child });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited:\n${output}`);
        return output.includes('Ready to accept connections');
      },
      `redis cluster node on ${port}`,
      10_000,
    );
  }
}
