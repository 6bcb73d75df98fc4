import { MailerModule } from '@nestjs-modules/mailer';
import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DatabaseOutage } from '../../platform/database/database-outage';
import { AttachmentsModule } from '../attachments/attachments.module';
import { MessagingModule } from '../messaging/messaging.module';
import { SendersModule } from '../senders/senders.module';
import { DeliveryService } from './delivery.service';
import { OutboundProcessor } from './outbound.processor';
import { OutboxSweeper } from './outbox-sweeper';
import { SenderClients } from './sender-clients';
import { SenderGate } from './sender-gate';
import { mailerOptions } from '../../providers/smtp/mail-transport';

/** Worker only: consumes the outbound queues and sends each message through its own sender. */
@Module({
  imports: [
    MessagingModule,
    AttachmentsModule,
    SendersModule,
    MailerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: mailerOptions }),
  ],
  providers: [
    SenderClients,
    SenderGate,
    DatabaseOutage,
    DeliveryService,
    OutboundProcessor,
    OutboxSweeper,
  ],
})
export class DeliveryModule {}
