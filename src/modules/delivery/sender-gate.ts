import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Result } from 'ioredis';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { RedisClient, redisClient } from '../../platform/queue/redis-connection';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    takeSenderTurn(
      pauseKey: string,
      rateKey: string,
      windowMs: number,
    ): Result<[taken: number, ms: number], Context>;
  }
}

/**
 * The sender's pause, then its rate window, read in one round trip. Paused: {0, ms left of the
 * pause}, and nothing is counted. Else the send is counted in the window: {count so far, ms left
 * of the window}. Both keys start with QUEUE_PREFIX, whose hash tag (required on a cluster) puts
 * them in one slot.
 */
const TAKE_SENDER_TURN = `
local paused = redis.call('pttl', KEYS[1])
if paused > 0 then return {0, paused} end
local taken = redis.call('incr', KEYS[2])
local ttl = redis.call('pttl', KEYS[2])
if ttl < 0 then
  redis.call('pexpire', KEYS[2], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {taken, ttl}`;

const RATE_WINDOW_MS = 1_000;

/** The Redis key that holds a sender paused by its provider's throttling (PX: the pause). */
export const senderPauseKey = (queuePrefix: string, senderId: string) =>
  `${queuePrefix}:sender-pause:${senderId}`;

/**
 * How long a message waits when Redis cannot say whether its sender may send (a failover, an
 * outage): it is held, not sent unmetered and not failed, and asks again after this.
 */
export const GATE_UNAVAILABLE_WAIT_MS = 1_000;

/**
 * How long a message over its sender's rate waits, `taken` being its count in the window and
 * `msBeforeNext` what is left of the window. Every refused take still counts in the window, so
 * the n-th one over the limit gets the n-th slot after the window ends, one slot being 1/rate of
 * a second: they come back spaced as the rate allows and in the order they were refused
 * (priority order, as the queue handed them out), instead of all at once to be refused again.
 */
export function overLimitDelayMs(taken: number, msBeforeNext: number, perSecond: number): number {
  const over = Math.max(1, taken - perSecond);
  return msBeforeNext + Math.floor(((over - 1) * 1000) / perSecond);
}

/**
 * Per-sender admission, global across workers: a one-second window of rate_limit_per_second
 * sends in Redis, keyed by sender id, and a pause key set when the provider throttled the
 * sender, both read by one script per send (TAKE_SENDER_TURN) on one ioredis client for the
 * process, so a thousand senders cost nothing more than their keys.
 */
@Injectable()
export class SenderGate implements OnApplicationShutdown {
  private readonly redis: RedisClient;
  private readonly logger = new Logger(SenderGate.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // One try per command and no offline queue: a command for a node that died (a cluster
    // primary's crash) fails instead of waiting on a connection that never comes back, and the
    // next one goes to the replica once the slot map says so.
    this.redis = redisClient(config, {
      connectionName: 'sender-gate',
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    // While Redis is away the workers' own connections log it; waitMs says it per message.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('takeSenderTurn', { numberOfKeys: 2, lua: TAKE_SENDER_TURN });
  }

  /** 0: send now (the send is counted); else how many ms the message must wait first. */
  async waitMs(senderId: string, perSecond: number): Promise<number> {
    const { queuePrefix } = this.config;
    try {
      const [taken, ms] = await this.redis.takeSenderTurn(
        senderPauseKey(queuePrefix, senderId),
        `${queuePrefix}:sender-rate:${senderId}`,
        RATE_WINDOW_MS,
      );
      if (taken === 0) return ms;
      return taken > perSecond ? overLimitDelayMs(taken, ms, perSecond) : 0;
    } catch (error) {
      this.logger.warn(
        { senderId, reason: (error as Error).message, waitMs: GATE_UNAVAILABLE_WAIT_MS },
        "cannot read the sender's rate from Redis; holding the message",
      );
      return GATE_UNAVAILABLE_WAIT_MS;
    }
  }

  /** Holds every message of the sender, in every worker, for `ms`; best effort. */
  async pause(senderId: string, ms: number): Promise<void> {
    await this.redis
      .set(senderPauseKey(this.config.queuePrefix, senderId), '1', 'PX', ms)
      .catch((error: Error) =>
        // The throttled message itself is delayed by its job; the sender's others may try once.
        this.logger.warn({ senderId, reason: error.message }, 'cannot pause the sender in Redis'),
      );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
