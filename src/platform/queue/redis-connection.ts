import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config';

/** Where Redis is: one server (REDIS_URL), or a cluster's seed nodes (REDIS_CLUSTER_NODES). */
export type RedisTarget = Pick<AppConfig, 'redisUrl' | 'redisClusterNodes'>;

/** One server or a cluster: the same commands, so callers need not know which. */
export type RedisClient = Redis | Cluster;

/** What a user of Redis chooses about its connection; everything else is decided here. */
export interface RedisClientOptions {
  connectionName?: string;
  /**
   * false: while Redis is away a command fails at once instead of waiting in ioredis' offline
   * queue, which has no bound.
   */
  enableOfflineQueue?: boolean;
  /** Tries of one command across reconnections; null = until it goes through (BullMQ workers). */
  maxRetriesPerRequest?: number | null;
  lazyConnect?: boolean;
  connectTimeout?: number;
}

/** Reconnect attempts while Redis is away: soon after it returns, whatever the outage's length. */
const RECONNECT_MAX_DELAY_MS = 2_000;
const reconnectDelay = (times: number) => Math.min(times * 200, RECONNECT_MAX_DELAY_MS);

/**
 * How long a cluster command rides out a failover before failing: a replica takes over a dead
 * primary after cluster-node-timeout plus an election (seconds), during which the slot answers
 * CLUSTERDOWN, TRYAGAIN or not at all. 75 tries 200 ms apart is 15 s; a MOVED after the
 * switch is followed at once.
 */
const FAILOVER_RETRY_DELAY_MS = 200;
const FAILOVER_MAX_REDIRECTIONS = 75;
/**
 * ioredis' 1 s default to read the slot map fails on a busy node, and BullMQ answers a failed
 * refresh on a worker's blocking connection by reconnecting it, which can wait 30 s.
 */
const SLOTS_REFRESH_TIMEOUT_MS = 5_000;
/**
 * ioredis' client-side bound on a blocking command (a worker's fetch, BZPOPMIN with BullMQ's
 * drainDelay of 1 s): without it a fetch queued for a cluster primary that crashed waits forever,
 * and that worker never takes another job (seen in about one in three crash-after-failover runs).
 * With it the fetch fails after its own timeout plus this, and BullMQ fetches again from the
 * slot's new owner.
 */
const BLOCKING_TIMEOUT_MS = 5_000;

/**
 * Every Redis connection of the product is made here, so that REDIS_CLUSTER_NODES reaches all of
 * them: a `Cluster` when it is set, else a `Redis` on REDIS_URL. BullMQ's own reconnect delay
 * grows to 20 s, which alone would eat most of the 30 s in which pending messages must be back
 * on their queues after an outage, hence the shorter one here.
 */
export function redisClient(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
  const { enableOfflineQueue, lazyConnect, ...perNode } = options;
  const nodeOptions: RedisOptions = {
    maxRetriesPerRequest: null,
    blockingTimeout: BLOCKING_TIMEOUT_MS,
    ...perNode,
  };
  if (!target.redisClusterNodes) {
    return new Redis({
      ...serverOptions(target.redisUrl),
      ...nodeOptions,
      enableOfflineQueue,
      lazyConnect,
      retryStrategy: reconnectDelay,
    });
  }
  return new Cluster(target.redisClusterNodes, {
    redisOptions: nodeOptions,
    enableOfflineQueue,
    lazyConnect,
    clusterRetryStrategy: reconnectDelay,
    retryDelayOnFailover: FAILOVER_RETRY_DELAY_MS,
    retryDelayOnClusterDown: FAILOVER_RETRY_DELAY_MS,
    retryDelayOnTryAgain: FAILOVER_RETRY_DELAY_MS,
    maxRedirections: FAILOVER_MAX_REDIRECTIONS,
    slotsRefreshTimeout: SLOTS_REFRESH_TIMEOUT_MS,
  });
}

/**
 * What a BullMQ Worker opens its connections from (commands, and the blocking fetch), closing
 * them with the worker: options for one server; for a cluster, a client that is never connected
 * itself, only duplicated, since BullMQ cannot build a cluster from options. A Queue handed that
 * client would connect it and leave it open: producers share one owned client instead
 * (QueueProducerConfig).
 */
export function bullmqConnection(target: RedisTarget): ConnectionOptions {
  if (!target.redisClusterNodes) {
    return {
      ...serverOptions(target.redisUrl),
      maxRetriesPerRequest: null,
      blockingTimeout: BLOCKING_TIMEOUT_MS,
      retryStrategy: reconnectDelay,
    };
  }
  return redisClient(target, { lazyConnect: true });
}

/** The connection fields of a redis:// or rediss:// URL. */
function serverOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
}
