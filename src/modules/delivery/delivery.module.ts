import { MailerModule } from '@nestjs-modules/mailer';
import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DatabaseOutage } from '../../platform/database/database-outage';
import { AttachmentsModule } from '../attachments/attachments.module';
import { MessagingModule } from '../messaging/messaging.module';
import { DeliveryService } from './delivery.service';
import { OutboundProcessor } from './outbound.processor';
import { OutboxSweeper } from './outbox-sweeper';
import { outboundClientsProvider } from './outbound-clients.provider';
import { mailerOptions } from '../../providers/smtp/mail-transport';

/** Worker only: consumes the outbound queues and sends through one sender per channel. */
@Module({
  imports: [
    MessagingModule,
    AttachmentsModule,
    MailerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: mailerOptions }),
  ],
  providers: [
    outboundClientsProvider,
    DatabaseOutage,
    DeliveryService,
    OutboundProcessor,
    OutboxSweeper,
  ],
})
export class DeliveryModule {}
