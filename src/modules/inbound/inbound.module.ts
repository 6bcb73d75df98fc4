import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PreparedSqlModule } from '../../platform/database/prepared-sql';
import { AttachmentsModule } from '../attachments/attachments.module';
import { ConversationModule } from '../conversation/conversation.module';
import { CustomerModule } from '../customer/customer.module';
import { MessagingModule } from '../messaging/messaging.module';
import { SendersModule } from '../senders/senders.module';
import { EmailWebhookController } from './email/email-webhook.controller';
import { InboundEventController } from './inbound-event.controller';
import { InboundEvent } from './inbound-event.entity';
import { InboundMessageEvents } from './inbound-message.events';
import { InboundRouter } from './inbound-router';
import { InboundService } from './inbound.service';
import { TwilioWebhookController } from './sms/twilio-webhook.controller';
import { WebWebhookController } from './web/web-webhook.controller';
import { WhatsappWebhookController } from './whatsapp/whatsapp-webhook.controller';

/** Provider webhooks → customer → conversation → message, and delivery receipts. */
@Module({
  imports: [
    TypeOrmModule.forFeature([InboundEvent]),
    CustomerModule,
    ConversationModule,
    MessagingModule,
    PreparedSqlModule,
    AttachmentsModule,
    SendersModule,
  ],
  controllers: [
    WhatsappWebhookController,
    TwilioWebhookController,
    EmailWebhookController,
    WebWebhookController,
    InboundEventController,
  ],
  providers: [InboundService, InboundRouter, InboundMessageEvents],
  exports: [InboundMessageEvents],
})
export class InboundModule {}
