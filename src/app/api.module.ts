import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../platform/config/app-config';
import { ConfigModule } from '../platform/config/config.module';
import { ENTITIES } from './entities';
import { dataSourceOptions } from '../platform/database/data-source-options';
import { HttpExceptionFilter } from '../platform/errors/http-exception.filter';
import { HealthModule } from '../platform/health/health.module';
import { JsonBodyGuard } from '../platform/http/json-body.guard';
import { loggingModule } from '../platform/logging/app-logger';
import { MetricsModule } from '../platform/metrics/metrics.module';
import { AgentsModule } from '../modules/agents/agents.module';
import { AuthenticationGuard } from '../modules/agents/auth/authentication.guard';
import { AttachmentsModule } from '../modules/attachments/attachments.module';
import { ConversationModule } from '../modules/conversation/conversation.module';
import { CustomerModule } from '../modules/customer/customer.module';
import { EventsModule } from '../modules/events/events.module';
import { InboundModule } from '../modules/inbound/inbound.module';
import { LifecycleModule } from '../modules/lifecycle/lifecycle.module';
import { MessagingModule } from '../modules/messaging/messaging.module';
import { ObservabilityModule } from '../modules/observability/observability.module';
import { SendersModule } from '../modules/senders/senders.module';
import { WebhooksModule } from '../modules/webhooks/webhooks.module';

/** The HTTP process: REST API and webhooks. It only produces jobs; the worker consumes them. */
@Module({})
export class ApiModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(config, 'api'),
        MetricsModule.forProcess('api'),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config), entities: ENTITIES }),
        AgentsModule,
        CustomerModule,
        SendersModule,
        ConversationModule,
        MessagingModule,
        AttachmentsModule,
        InboundModule,
        EventsModule,
        LifecycleModule,
        HealthModule,
        ObservabilityModule,
        WebhooksModule,
      ],
      providers: [
        // In this order: who may call comes before what they sent.
        { provide: APP_GUARD, useExisting: AuthenticationGuard },
        { provide: APP_GUARD, useClass: JsonBodyGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}
