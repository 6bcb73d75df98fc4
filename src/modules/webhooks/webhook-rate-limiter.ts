import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { RedisClient, redisClient } from '../../platform/queue/redis-connection';

/**
 * A sliding window: the sends of the last second, one sorted-set member each, checked and
 * added atomically so that workers racing for the last slot cannot both take it. Unlike a
 * counter per calendar second it never lets 2 x limit through across a second's boundary.
 */
const SLIDING_WINDOW = `
  local now = tonumber(ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1000)
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 2000)
  return 1`;

/**
 * Per-endpoint sends per second, counted in Redis so the limit holds across every worker. While Redis is unreachable nothing is sent to a
 * rate-limited endpoint: the limit is a promise to the receiver, and deliveries only wait.
 */
@Injectable()
export class WebhookRateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookRateLimiter.name);
  private readonly redis: RedisClient;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.redis = redisClient(config, {
      // Fail at once while disconnected instead of queueing: the caller defers the delivery.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.redis.on('error', () => undefined);
    this.prefix = `${config.queuePrefix}:webhook-rate`;
  }

  /** True when one more send to the endpoint fits in the last 1000 ms. */
  async tryTake(endpointId: string, perSecond: number): Promise<boolean> {
    try {
      const taken = await this.redis.eval(
        SLIDING_WINDOW,
        1,
        `${this.prefix}:${endpointId}`,
        Date.now(),
        perSecond,
        randomUUID(),
      );
      return taken === 1;
    } catch (error) {
      this.logger.warn(`rate limit not checked, delivery deferred: ${(error as Error).message}`);
      return false;
    }
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
