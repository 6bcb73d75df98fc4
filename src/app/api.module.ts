import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../platform/config/app-config';
import { ConfigModule } from '../platform/config/config.module';
import { dataSourceOptions } from '../platform/database/data-source-options';
import { HttpExceptionFilter } from '../platform/errors/http-exception.filter';
import { ApiKeyGuard } from '../platform/http/api-key.guard';
import { ConversationModule } from '../modules/conversation/conversation.module';
import { CustomerModule } from '../modules/customer/customer.module';
import { InboundModule } from '../modules/inbound/inbound.module';
import { MessagingModule } from '../modules/messaging/messaging.module';

/** The HTTP process: REST API and webhooks. It only produces jobs; the worker consumes them. */
@Module({})
export class ApiModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(config)),
        CustomerModule,
        ConversationModule,
        MessagingModule,
        InboundModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}
