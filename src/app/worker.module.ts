import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../platform/config/app-config';
import { ConfigModule } from '../platform/config/config.module';
import { ENTITIES } from './entities';
import { dataSourceOptions } from '../platform/database/data-source-options';
import { loggingModule } from '../platform/logging/app-logger';
import { MetricsModule } from '../platform/metrics/metrics.module';
import { WorkerMetricsServer } from '../platform/metrics/worker-metrics.server';
import { MediaFetchModule } from '../modules/attachments/media-fetch.module';
import { DeliveryModule } from '../modules/delivery/delivery.module';
import { RetentionModule } from '../modules/lifecycle/retention.module';
import { WebhookDispatchModule } from '../modules/webhooks/webhook-dispatch.module';

/**
 * The worker process: no HTTP server; the outbound queue consumers, the media fetcher, the
 * sweepers, retention and the webhook dispatcher.
 */
@Module({})
export class WorkerModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(config, 'worker'),
        MetricsModule.forProcess('worker'),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config), entities: ENTITIES }),
        DeliveryModule,
        RetentionModule,
        WebhookDispatchModule,
        MediaFetchModule,
      ],
      providers: [WorkerMetricsServer],
    };
  }
}
