import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { DomainError } from '../../platform/errors/domain-error';
import { newId } from '../../platform/database/new-id';
import { fetchPage, Page } from '../../platform/http/pagination';
import { CustomerService } from '../customer/customer.service';
import { EventLog, NewEvent } from '../events/event-log';
import { SenderDirectory } from '../senders/sender-directory';
import { Conversation } from './conversation.entity';
import {
  ConversationResponse,
  CreateConversationDto,
  ListConversationsQuery,
  mapConversation,
  UpdateConversationDto,
} from './dto/conversation.dto';

const ONE_OPEN_PER_SENDER = 'conversations_one_open_per_sender';

@Injectable()
export class ConversationService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    private readonly customers: CustomerService,
    private readonly eventLog: EventLog,
    private readonly senders: SenderDirectory,
  ) {}

  async openConversation(input: CreateConversationDto): Promise<Conversation> {
    await this.customers.getCustomer(input.customer_id);
    const sender = await this.senderFor(input);
    const conversation = this.conversations.create({
      id: newId(),
      customerId: input.customer_id,
      channel: input.channel,
      senderId: sender.id,
      subject: input.subject ?? null,
      status: 'open',
    });
    return this.saveOpen(conversation, (saved) => ({
      type: 'conversation.created',
      conversationId: saved.id,
      data: mapConversation(saved),
    }));
  }

  /** The sender asked for, which must be of the conversation's channel, else the default. */
  private async senderFor(input: CreateConversationDto) {
    if (input.sender_id === undefined) return this.senders.defaultFor(input.channel);
    const sender = await this.senders.find(input.sender_id);
    if (!sender) {
      throw DomainError.invalidField('sender_id', `sender_id ${input.sender_id} names no sender`);
    }
    if (sender.channel !== input.channel) {
      throw DomainError.invalidField(
        'sender_id',
        `sender_id ${sender.id} is a ${sender.channel} sender, not ${input.channel}`,
      );
    }
    return sender;
  }

  async getConversation(id: string, manager?: EntityManager): Promise<Conversation> {
    const repository = manager ? manager.getRepository(Conversation) : this.conversations;
    const conversation = await repository.findOneBy({ id });
    if (!conversation) throw DomainError.notFound('conversation', id);
    return conversation;
  }

  async updateConversation(id: string, input: UpdateConversationDto): Promise<Conversation> {
    const conversation = await this.getConversation(id);
    const previousStatus = conversation.status;
    conversation.status = input.status;
    return this.saveOpen(conversation, (saved) =>
      saved.status === previousStatus
        ? null
        : {
            type: 'conversation.updated',
            conversationId: saved.id,
            previousStatus,
            data: mapConversation(saved),
          },
    );
  }

  listConversations(query: ListConversationsQuery): Promise<Page<ConversationResponse>> {
    const builder = this.conversations.createQueryBuilder('conversation');
    if (query.customer_id) {
      builder.andWhere('conversation.customer_id = :customerId', { customerId: query.customer_id });
    }
    if (query.status) builder.andWhere('conversation.status = :status', { status: query.status });
    if (query.channel)
      builder.andWhere('conversation.channel = :channel', { channel: query.channel });
    return fetchPage(builder, query, mapConversation);
  }

  private async saveOpen(
    conversation: Conversation,
    event: (saved: Conversation) => NewEvent | null,
  ): Promise<Conversation> {
    try {
      return await this.conversations.manager.transaction(async (manager) => {
        const saved = await manager.save(conversation);
        const appended = event(saved);
        if (appended) await this.eventLog.append(manager, appended);
        return saved;
      });
    } catch (error) {
      const constraint = (error as QueryFailedError & { driverError: { constraint?: string } })
        .driverError?.constraint;
      if (constraint === ONE_OPEN_PER_SENDER) {
        throw new DomainError(
          'conflict',
          `customer ${conversation.customerId} already has an open ${conversation.channel} conversation on sender ${conversation.senderId}; close it first`,
        );
      }
      throw error;
    }
  }
}
