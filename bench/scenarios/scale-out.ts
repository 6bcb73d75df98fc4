import { PrivatePgbouncer } from '../../test/support/private-pgbouncer';
import { PrivateRedisCluster } from '../../test/support/private-redis-cluster';
import { ConnectionCensus, censusDuring, localPortsInUse } from '../lib/connections';
import { deleteQueueKeys, resetDatabase } from '../lib/data';
import type { LoadResult } from '../lib/load';
import { Child, sleep, waitFor } from '../lib/processes';
import { settings } from '../lib/settings';
import { StandIn, startApi } from '../lib/stack';
import { Deployment, DIRECT, DrainResult, drainProduct } from './deliver';
import { authHeaders, outboundMessageBody, warmThenMeasureOver } from './http-load';

/** docs/SCALING.md's worked example. */
export const SCALE_OUT = {
  apis: 4,
  workers: 8,
  /** The cluster's six nodes take 42100..42105, their buses 52100..52105. */
  clusterFirstPort: 42100,
  /** PgBouncer's server connections per database and user (default_pool_size). */
  pgbouncerPool: 20,
} as const;

export interface ScaleOutLayout {
  label: string;
  apis: number;
  workers: number;
  accept: LoadResult;
  acceptConnections: ConnectionCensus;
  deliver: DrainResult;
  deliverConnections: ConnectionCensus;
}

export interface ScaleOutResult {
  baseline: ScaleOutLayout;
  scaledOut: ScaleOutLayout;
  /** scaled-out ÷ baseline req/s. */
  acceptRatio: number;
  /** scaled-out ÷ baseline msg/s. */
  deliverRatio: number;
}

/**
 * The processes on the private cluster (a hash-tagged prefix keeps each queue in one slot) and
 * behind a PgBouncer in transaction mode, started anew on each fresh database.
 */
function clusterDeployment(cluster: PrivateRedisCluster): Deployment {
  let pgbouncer: PrivatePgbouncer | undefined;
  return {
    async open() {
      pgbouncer = await PrivatePgbouncer.start(settings.databaseUrl, {
        poolSize: SCALE_OUT.pgbouncerPool,
      });
      return {
        DATABASE_URL: pgbouncer.urlFor(settings.databaseUrl),
        DATABASE_POOL_MODE: 'transaction',
        REDIS_CLUSTER_NODES: cluster.nodesVariable,
        QUEUE_PREFIX: `{${settings.queuePrefix}}`,
      };
    },
    async close() {
      await pgbouncer?.stop();
      pgbouncer = undefined;
    },
    // The cluster is the scenario's own: whatever an earlier run queued goes.
    clearQueues: async () => {
      const primaries = (await cluster.nodes()).filter((node) => node.primary);
      await Promise.all(primaries.map((node) => cluster.cli(node.port, 'FLUSHALL')));
    },
  };
}

/**
 * The cluster's ports lie inside Linux's ephemeral range (32768-60999): a client connection that
 * closed on one of them (the baseline's last provider calls) stays in TIME_WAIT for 60 s, and
 * until then a node's bind there fails with EADDRINUSE. Wait until they are free, and try again
 * if a new connection took one meanwhile.
 */
async function startCluster(): Promise<PrivateRedisCluster> {
  const first = SCALE_OUT.clusterFirstPort;
  const ports = [0, 1, 2, 3, 4, 5].flatMap((node) => [first + node, first + 10_000 + node]);
  for (let attempt = 1; ; attempt++) {
    await waitFor(
      `ports ${first}-${first + 5} and their buses to be free`,
      async () => (await localPortsInUse(ports)).length === 0,
      120_000,
      1_000,
    );
    try {
      return await PrivateRedisCluster.start(first);
    } catch (error) {
      if (attempt === 3 || !/Address already in use/.test((error as Error).message)) throw error;
    }
  }
}

/** POST /api/messages over `apis` API processes at once, with their connections counted. */
async function measureAccept(
  standIn: StandIn,
  apis: number,
  deployment: Deployment,
): Promise<[LoadResult, ConnectionCensus]> {
  const conversations = await resetDatabase(settings.poolSize);
  await deployment.clearQueues();
  const children: Child[] = [];
  try {
    const where = await deployment.open();
    const urls: string[] = [];
    for (let i = 0; i < apis; i++) {
      const api = await startApi(standIn, where);
      children.push(api.child);
      urls.push(api.url);
    }
    const measured = await censusDuring(() =>
      warmThenMeasureOver(urls, {
        connections: settings.connections,
        headers: authHeaders(),
        next: () => ({ path: '/api/messages', body: outboundMessageBody(conversations) }),
      }),
    );
    // autocannon stops without waiting for its last requests: let them finish before stopping.
    await sleep(2_000);
    return measured;
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await deployment.close();
  }
}

async function measureLayout(
  standIn: StandIn,
  label: string,
  apis: number,
  workers: number,
  deployment: Deployment,
): Promise<ScaleOutLayout> {
  await standIn.reset();
  const [accept, acceptConnections] = await measureAccept(standIn, apis, deployment);
  await standIn.reset();
  await sleep(500);
  const [deliver, deliverConnections] = await censusDuring(() =>
    drainProduct(standIn, settings.messages, { workers, apis, deployment }),
  );
  await standIn.reset();
  return { label, apis, workers, accept, acceptConnections, deliver, deliverConnections };
}

/**
 * 11. docs/SCALING.md's worked example, measured: 4 API processes and 8 workers on a Redis
 * Cluster of three primaries with a replica each and behind a transaction-mode PgBouncer, against
 * 1 API and 1 worker on the single Redis and Postgres straight, in the same run. Accept and
 * delivery drain for both, the CPU per process kind, and the connections each kind held.
 */
export async function runScaleOut(standIn: StandIn): Promise<ScaleOutResult> {
  const baseline = await measureLayout(
    standIn,
    '1 API + 1 worker, one Redis, Postgres direct',
    1,
    1,
    DIRECT,
  );
  await deleteQueueKeys();
  const cluster = await startCluster();
  try {
    const scaledOut = await measureLayout(
      standIn,
      `${SCALE_OUT.apis} APIs + ${SCALE_OUT.workers} workers, Redis Cluster (3 primaries + 3 replicas), PgBouncer (transaction, pool ${SCALE_OUT.pgbouncerPool})`,
      SCALE_OUT.apis,
      SCALE_OUT.workers,
      clusterDeployment(cluster),
    );
    return {
      baseline,
      scaledOut,
      acceptRatio: scaledOut.accept.rps / baseline.accept.rps,
      deliverRatio: scaledOut.deliver.perSecond / baseline.deliver.perSecond,
    };
  } finally {
    await cluster.stop();
  }
}
