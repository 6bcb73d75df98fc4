import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { OUTBOUND_QUEUE } from './queue-names';
import { producerConnection } from './redis-connection';

const queues = Object.values(OUTBOUND_QUEUE).map((name) => BullModule.registerQueue({ name }));

/** Producer side of the outbound queues; only the worker registers processors. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: producerConnection(config.redisUrl),
        prefix: config.queuePrefix,
      }),
    }),
    ...queues,
  ],
  exports: queues,
})
export class QueueModule {}
