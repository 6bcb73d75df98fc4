import { Module } from '@nestjs/common';
import { EventLogModule } from '../events/event-log.module';
import { EventSequencerModule } from '../events/event-sequencer.module';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhookDeliveryLedger } from './webhook-delivery.ledger';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookRateLimiter } from './webhook-rate-limiter';

/**
 * Worker only: publishes the event log, fans it out to the endpoints and sends the deliveries.
 */
@Module({
  imports: [EventLogModule, EventSequencerModule],
  providers: [WebhookDeliveryLedger, WebhookDeliverer, WebhookRateLimiter, WebhookDispatcher],
})
export class WebhookDispatchModule {}
