import { Module } from '@nestjs/common';
import { AttachmentService } from '../attachments/attachment.service';
import { AttachmentsModule } from '../attachments/attachments.module';
import { webhookDeliveryStore } from '../webhooks/webhook-delivery.store';
import { LINKED_DATA_STORES } from '../../shared/linked-data-store';
import { RetentionPruner } from './retention-pruner';

/** Worker only: the retention pruner. */
@Module({
  imports: [AttachmentsModule],
  providers: [
    RetentionPruner,
    {
      provide: LINKED_DATA_STORES,
      inject: [AttachmentService],
      useFactory: (attachments: AttachmentService) => [attachments, webhookDeliveryStore],
    },
  ],
})
export class RetentionModule {}
