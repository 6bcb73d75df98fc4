import { Module } from '@nestjs/common';
import { AttachmentService } from '../attachments/attachment.service';
import { AttachmentsModule } from '../attachments/attachments.module';
import { EventLogModule } from '../events/event-log.module';
import { MessagingModule } from '../messaging/messaging.module';
import { CustomerDataController } from './customer-data.controller';
import { CustomerErasureService } from './customer-erasure.service';
import { CustomerExportService } from './customer-export.service';
import { webhookDeliveryStore } from '../webhooks/webhook-delivery.store';
import { LINKED_DATA_STORES } from '../../shared/linked-data-store';

/** API: a customer's export and erasure, across every module's tables. */
@Module({
  imports: [AttachmentsModule, EventLogModule, MessagingModule],
  controllers: [CustomerDataController],
  providers: [
    CustomerErasureService,
    CustomerExportService,
    {
      provide: LINKED_DATA_STORES,
      inject: [AttachmentService],
      useFactory: (attachments: AttachmentService) => [attachments, webhookDeliveryStore],
    },
  ],
})
export class LifecycleModule {}
