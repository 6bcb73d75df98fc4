import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';

/** Reconnect attempts while Redis is away: soon after it returns, whatever the outage's length. */
const RECONNECT_MAX_DELAY_MS = 2_000;

/**
 * ioredis options from REDIS_URL, as BullMQ wants them (no per-command retry limit). BullMQ's
 * own reconnect delay grows to 20 s, which alone would eat most of the 30 s in which pending
 * messages must be back on their queues after an outage.
 */
export function redisConnection(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 200, RECONNECT_MAX_DELAY_MS),
  };
}

/**
 * For connections that only produce (enqueue, inspect): while Redis is away a command fails at
 * once instead of waiting in ioredis' offline queue, which has no bound, so an outage cannot
 * pile up one pending `add` per accepted message in the API's memory. What did not make it is
 * the outbox sweeper's to enqueue.
 */
export function producerConnection(redisUrl: string): RedisOptions {
  return { ...redisConnection(redisUrl), enableOfflineQueue: false };
}

/**
 * The one ioredis client a process shares for its own keys beside BullMQ's (per-sender rate
 * limits and pauses): a connection per sender would not scale to a thousand of them.
 */
export function redisClient(redisUrl: string): Redis {
  return new Redis(redisConnection(redisUrl));
}
