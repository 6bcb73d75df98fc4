import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PreparedSqlModule } from '../../platform/database/prepared-sql';
import { QueueModule } from '../../platform/queue/queue.module';
import { AttachmentsModule } from '../attachments/attachments.module';
import { ConversationModule } from '../conversation/conversation.module';
import { CustomerModule } from '../customer/customer.module';
import { EventLogModule } from '../events/event-log.module';
import { DeliveryLedger } from './delivery-ledger';
import { IdempotencyKey } from './idempotency-key.entity';
import { MessageAttempt } from './message-attempt.entity';
import { MessageReceipt } from './message-receipt.entity';
import { MessageController } from './message.controller';
import { Message } from './message.entity';
import { MessageService } from './message.service';
import { OutboundQueue } from './outbound.queue';
import { ReceiptService } from './receipt.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Message, MessageAttempt, IdempotencyKey, MessageReceipt]),
    QueueModule,
    CustomerModule,
    ConversationModule,
    EventLogModule,
    PreparedSqlModule,
    AttachmentsModule,
  ],
  controllers: [MessageController],
  providers: [MessageService, OutboundQueue, DeliveryLedger, ReceiptService],
  exports: [MessageService, OutboundQueue, DeliveryLedger, ReceiptService],
})
export class MessagingModule {}
