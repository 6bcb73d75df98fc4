import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { RedisClient, redisClient } from '../../platform/queue/redis-connection';

/** The Redis key that holds a sender paused by its provider's throttling (PX: the pause). */
export const senderPauseKey = (queuePrefix: string, senderId: string) =>
  `${queuePrefix}:sender-pause:${senderId}`;

/**
 * How long a message over its sender's rate waits. Every refused take still counts in the
 * window, so the n-th one over the limit gets the n-th slot after the window ends, one slot being
 * 1/rate of a second: they come back spaced as the rate allows and in the order they were refused
 * (priority order, as the queue handed them out), instead of all at once to be refused again.
 */
export function overLimitDelayMs(refused: RateLimiterRes, perSecond: number): number {
  const over = Math.max(1, refused.consumedPoints - perSecond);
  return refused.msBeforeNext + Math.floor(((over - 1) * 1000) / perSecond);
}

/**
 * Per-sender admission, global across workers: a one-second window of rate_limit_per_second
 * sends in Redis, keyed by sender id, and a pause key set when the provider throttled the
 * sender. Both live on one ioredis client for the process, and a limiter object per distinct
 * rate (not per sender), so a thousand senders cost nothing more than their keys.
 */
@Injectable()
export class SenderGate implements OnApplicationShutdown {
  private readonly redis: RedisClient;
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.redis = redisClient(config, { connectionName: 'sender-gate' });
    // While Redis is away the workers' own connections log it; commands here wait for it.
    this.redis.on('error', () => undefined);
  }

  /** 0: send now (the send is counted); else how many ms the message must wait first. */
  async waitMs(senderId: string, perSecond: number): Promise<number> {
    const pausedMs = await this.redis.pttl(senderPauseKey(this.config.queuePrefix, senderId));
    if (pausedMs > 0) return pausedMs;
    try {
      await this.limiter(perSecond).consume(senderId);
      return 0;
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return overLimitDelayMs(refused, perSecond);
      throw refused;
    }
  }

  /** Holds every message of the sender, in every worker, for `ms`. */
  async pause(senderId: string, ms: number): Promise<void> {
    await this.redis.set(senderPauseKey(this.config.queuePrefix, senderId), '1', 'PX', ms);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private limiter(perSecond: number): RateLimiterRedis {
    let limiter = this.limiters.get(perSecond);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.config.queuePrefix}:sender-rate`,
        points: perSecond,
        duration: 1,
      });
      this.limiters.set(perSecond, limiter);
    }
    return limiter;
  }
}
