import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventLogModule } from '../events/event-log.module';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookDeliveryLedger } from './webhook-delivery.ledger';
import { WebhookEndpointController } from './webhook-endpoint.controller';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpointService } from './webhook-endpoint.service';

/** API: the endpoints' REST API; also sends `webhook.test` events, which answer synchronously. */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEndpoint, WebhookDelivery, WebhookDeliveryAttempt]),
    EventLogModule,
  ],
  controllers: [WebhookEndpointController],
  providers: [WebhookEndpointService, WebhookDeliveryLedger, WebhookDeliverer],
})
export class WebhooksModule {}
