import { Module } from '@nestjs/common';
import { webhookDeliveryStore } from '../webhooks/webhook-delivery.store';
import { LINKED_DATA_STORES } from './linked-data-stores';
import { RetentionPruner } from './retention-pruner';

/** Worker only: the retention pruner. */
@Module({
  providers: [RetentionPruner, { provide: LINKED_DATA_STORES, useValue: [webhookDeliveryStore] }],
})
export class RetentionModule {}
