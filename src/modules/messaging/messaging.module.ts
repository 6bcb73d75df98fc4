import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueModule } from '../../platform/queue/queue.module';
import { ConversationModule } from '../conversation/conversation.module';
import { CustomerModule } from '../customer/customer.module';
import { DeliveryLedger } from './delivery-ledger';
import { IdempotencyKey } from './idempotency-key.entity';
import { MessageAttempt } from './message-attempt.entity';
import { MessageController } from './message.controller';
import { Message } from './message.entity';
import { MessageService } from './message.service';
import { OutboundQueue } from './outbound.queue';

@Module({
  imports: [
    TypeOrmModule.forFeature([Message, MessageAttempt, IdempotencyKey]),
    QueueModule,
    CustomerModule,
    ConversationModule,
  ],
  controllers: [MessageController],
  providers: [MessageService, OutboundQueue, DeliveryLedger],
  exports: [MessageService, OutboundQueue, DeliveryLedger],
})
export class MessagingModule {}
