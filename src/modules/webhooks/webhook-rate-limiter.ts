import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { redisConnection } from '../../platform/queue/redis-connection';

/**
 * Per-endpoint sends per second, counted in Redis so the limit holds across every worker
 * (one counter per endpoint and second). While Redis is unreachable nothing is sent to a
 * rate-limited endpoint: the limit is a promise to the receiver, and deliveries only wait.
 */
@Injectable()
export class WebhookRateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookRateLimiter.name);
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.redis = new Redis({
      ...redisConnection(config.redisUrl),
      // Fail at once while disconnected instead of queueing: the caller defers the delivery.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    this.redis.on('error', () => undefined);
    this.prefix = `${config.queuePrefix}:webhook-rate`;
  }

  /** True when one more send to the endpoint fits in the current second. */
  async tryTake(endpointId: string, perSecond: number): Promise<boolean> {
    const second = Math.floor(Date.now() / 1000);
    const key = `${this.prefix}:${endpointId}:${second}`;
    try {
      const results = await this.redis.multi().incr(key).pexpire(key, 2000).exec();
      const count = Number(results?.[0]?.[1] ?? Infinity);
      return count <= perSecond;
    } catch (error) {
      this.logger.warn(`rate limit not checked, delivery deferred: ${(error as Error).message}`);
      return false;
    }
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
