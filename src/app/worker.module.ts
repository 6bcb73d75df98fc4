import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../platform/config/app-config';
import { ConfigModule } from '../platform/config/config.module';
import { dataSourceOptions } from '../platform/database/data-source-options';
import { DeliveryModule } from '../modules/delivery/delivery.module';

/** The worker process: no HTTP server, only the outbound queue consumers and the sweeper. */
@Module({})
export class WorkerModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(config)),
        DeliveryModule,
      ],
    };
  }
}
