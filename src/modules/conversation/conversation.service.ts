import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { DomainError } from '../../platform/errors/domain-error';
import { newId } from '../../platform/database/new-id';
import { DEFAULT_PAGE_SIZE, Page } from '../../platform/http/pagination';
import { AgentService } from '../agents/agent.service';
import { CustomerService } from '../customer/customer.service';
import { EventLog } from '../events/event-log';
import { SenderDirectory } from '../senders/sender-directory';
import { conversationListQuery } from './conversation-list.sql';
import { Conversation } from './conversation.entity';
import {
  AssigneeFilter,
  CONVERSATION_CURSOR,
  CreateConversationDto,
  ListConversationsQuery,
  ListedConversationResponse,
  mapConversation,
  UpdateConversationDto,
} from './dto/conversation.dto';

const ONE_OPEN_PER_SENDER = 'conversations_one_open_per_sender';

@Injectable()
export class ConversationService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    private readonly customers: CustomerService,
    private readonly agents: AgentService,
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
      assigneeId: null,
      unreadCount: 0,
      lastMessageId: null,
      lastMessage: null,
    });
    try {
      return await this.conversations.manager.transaction(async (manager) => {
        const saved = await manager.save(conversation);
        await this.eventLog.append(manager, {
          type: 'conversation.created',
          conversationId: saved.id,
          data: mapConversation(saved),
        });
        return saved;
      });
    } catch (error) {
      throw asOpenConflict(error, conversation);
    }
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

  /** Close, reopen, assign or unassign; `conversation.updated` when anything changed. */
  async updateConversation(id: string, input: UpdateConversationDto): Promise<Conversation> {
    if (input.status === undefined && input.assignee_id === undefined) {
      throw DomainError.invalidField('status', 'give status, assignee_id or both');
    }
    if (input.assignee_id) await this.agents.getAgent(input.assignee_id);
    return this.change(id, (conversation) => {
      if (input.status !== undefined) conversation.status = input.status;
      if (input.assignee_id !== undefined) conversation.assigneeId = input.assignee_id;
    });
  }

  /** An agent read it: no unread messages left. */
  markRead(id: string): Promise<Conversation> {
    return this.change(id, (conversation) => {
      conversation.unreadCount = 0;
    });
  }

  /**
   * Newest activity first, in keyset pages over (activity, id). `agentId` is the signed-in
   * agent that `assignee=me` stands for.
   */
  async listConversations(
    query: ListConversationsQuery,
    agentId: string | undefined,
  ): Promise<Page<ListedConversationResponse>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = query.cursor ? CONVERSATION_CURSOR.exec(query.cursor) : null;
    const { entities, raw } = await conversationListQuery(
      this.conversations.createQueryBuilder('conversation'),
      {
        customerId: query.customer_id,
        status: query.status,
        channel: query.channel,
        senderId: query.sender_id,
        assigneeId: this.assigneeOf(query.assignee, agentId),
        after: cursor ? { activityUs: cursor[1], id: cursor[2] } : undefined,
        limit,
      },
    ).getRawAndEntities<{ activity_us: string }>();
    const hasMore = entities.length > limit;
    const data = entities.slice(0, limit);
    const last = data.length - 1;
    const customers = await this.customers.summaries(data.map((row) => row.customerId));
    return {
      data: data.map((row) => ({
        ...mapConversation(row),
        customer: customers.get(row.customerId)!,
      })),
      next_cursor: hasMore ? `${raw[last].activity_us}_${data[last].id}` : null,
    };
  }

  /** `?assignee=`: undefined lists everyone's, null the unassigned. */
  private assigneeOf(
    assignee: AssigneeFilter | undefined,
    agentId: string | undefined,
  ): string | null | undefined {
    if (assignee === 'none') return null;
    if (assignee !== 'me') return assignee;
    if (agentId) return agentId;
    throw DomainError.invalidField(
      'assignee',
      'assignee=me needs a signed-in agent; with an API key give the agent id',
    );
  }

  /** One change under the row's lock, so it never interleaves with a message touching the row. */
  private async change(id: string, apply: (conversation: Conversation) => void) {
    return this.conversations.manager.transaction(async (manager) => {
      const conversation = await manager.findOne(Conversation, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!conversation) throw DomainError.notFound('conversation', id);
      const before = { ...conversation };
      apply(conversation);
      const changed = (['status', 'assigneeId', 'unreadCount'] as const).some(
        (field) => conversation[field] !== before[field],
      );
      if (!changed) return conversation;
      const saved = await manager.save(conversation).catch((error: unknown) => {
        throw asOpenConflict(error, conversation);
      });
      await this.eventLog.append(manager, {
        type: 'conversation.updated',
        conversationId: id,
        previousStatus: before.status,
        data: mapConversation(saved),
      });
      return saved;
    });
  }
}

/** A second open conversation on the customer's channel, as the conflict it is. */
function asOpenConflict(error: unknown, conversation: Conversation): unknown {
  const constraint = (error as QueryFailedError & { driverError: { constraint?: string } })
    .driverError?.constraint;
  if (constraint !== ONE_OPEN_PER_SENDER) return error;
  return new DomainError(
    'conflict',
    `customer ${conversation.customerId} already has an open ${conversation.channel} conversation on sender ${conversation.senderId}; close it first`,
  );
}
