import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { AttachmentService } from '../attachments/attachment.service';
import { DomainError } from '../../platform/errors/domain-error';
import { Conversation } from '../conversation/conversation.entity';
import { mapConversation } from '../conversation/dto/conversation.dto';
import { Customer } from '../customer/customer.entity';
import { mapCustomer } from '../customer/dto/customer.dto';
import { mapAttempt, mapMessage } from '../messaging/dto/message.dto';
import { mapReceipt } from '../messaging/dto/receipt.dto';
import { MessageAttempt } from '../messaging/message-attempt.entity';
import { MessageReceipt } from '../messaging/message-receipt.entity';
import { Message } from '../messaging/message.entity';
import type { CustomerExport } from './dto/customer-data.dto';

/** The right of access: one customer's records, read in one snapshot. */
@Injectable()
export class CustomerExportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly attachments: AttachmentService,
  ) {}

  exportCustomer(customerId: string): Promise<CustomerExport> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const customer = await manager.findOneBy(Customer, { id: customerId });
      if (!customer) throw DomainError.notFound('customer', customerId);
      const conversations = await manager.find(Conversation, {
        where: { customerId },
        order: { id: 'ASC' },
      });
      const messages = conversations.length
        ? await manager.find(Message, {
            where: { conversationId: In(conversations.map((conversation) => conversation.id)) },
            order: { id: 'ASC' },
          })
        : [];
      const messageIds = messages.map((message) => message.id);
      const [attempts, receipts] = messageIds.length
        ? await Promise.all([
            manager.find(MessageAttempt, {
              where: { messageId: In(messageIds) },
              order: { id: 'ASC' },
            }),
            manager.find(MessageReceipt, {
              where: { messageId: In(messageIds) },
              order: { id: 'ASC' },
            }),
          ])
        : [[], []];
      const files = await this.attachments.listForMessages(messageIds);
      return {
        customer: mapCustomer(customer),
        conversations: conversations.map(mapConversation),
        messages: messages.map((message) => ({
          ...mapMessage(message, files.get(message.id)),
          attempts: attempts.filter((row) => row.messageId === message.id).map(mapAttempt),
          receipts: receipts.filter((row) => row.messageId === message.id).map(mapReceipt),
        })),
      };
    });
  }
}
