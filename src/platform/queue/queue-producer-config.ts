import type { SharedBullConfigurationFactory } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { QueueOptions } from 'bullmq';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RedisClient, redisClient } from './redis-connection';

/**
 * Every queue a process produces to (enqueue, inspect, Bull Board, metrics) shares one
 * connection, owned here because BullMQ leaves a connection it was handed open. While Redis is
 * away a command fails at once instead of waiting in ioredis' offline queue, so an outage
 * cannot pile up one pending `add` per accepted message in the API's memory: what did not make
 * it is the outbox sweeper's to enqueue.
 */
@Injectable()
export class QueueProducerConfig implements SharedBullConfigurationFactory, OnApplicationShutdown {
  private readonly connection: RedisClient;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.connection = redisClient(config, {
      connectionName: 'producer',
      enableOfflineQueue: false,
    });
  }

  createSharedConfiguration(): QueueOptions {
    return { connection: this.connection, prefix: this.config.queuePrefix };
  }

  onApplicationShutdown(): void {
    this.connection.disconnect();
  }
}
