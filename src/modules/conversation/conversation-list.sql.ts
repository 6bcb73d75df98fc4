import type { SelectQueryBuilder } from 'typeorm';
import type { Channel } from '../../shared/channel';
import type { Conversation, ConversationStatus } from './conversation.entity';

/**
 * The list's order, newest activity first (a conversation without messages by its opening): the
 * expression of the indexes conversations_activity_idx, conversations_status_activity_idx,
 * conversations_assignee_activity_idx and conversations_unassigned_activity_idx, so that they
 * serve it. Each row also answers it in microseconds, exact, for the next page's cursor.
 */
const ACTIVITY = 'COALESCE(conversation.last_message_at, conversation.created_at)';

export interface ConversationListFilter {
  customerId?: string;
  status?: ConversationStatus;
  channel?: Channel;
  senderId?: string;
  /** An agent's id, or null for the unassigned. */
  assigneeId?: string | null;
  /** Rows after this (activity, id), as the previous page's cursor says. */
  after?: { activityUs: string; id: string };
  limit: number;
}

/** One page of the conversation list, one row more than asked to tell whether more follow. */
export function conversationListQuery(
  builder: SelectQueryBuilder<Conversation>,
  filter: ConversationListFilter,
): SelectQueryBuilder<Conversation> {
  builder.addSelect(`(extract(epoch FROM ${ACTIVITY}) * 1000000)::bigint`, 'activity_us');
  if (filter.customerId) {
    builder.andWhere('conversation.customer_id = :customerId', { customerId: filter.customerId });
  }
  if (filter.status) builder.andWhere('conversation.status = :status', { status: filter.status });
  if (filter.channel) {
    builder.andWhere('conversation.channel = :channel', { channel: filter.channel });
  }
  if (filter.senderId) {
    builder.andWhere('conversation.sender_id = :senderId', { senderId: filter.senderId });
  }
  if (filter.assigneeId === null) builder.andWhere('conversation.assignee_id IS NULL');
  else if (filter.assigneeId) {
    builder.andWhere('conversation.assignee_id = :assigneeId', { assigneeId: filter.assigneeId });
  }
  if (filter.after) {
    builder.andWhere(
      `(${ACTIVITY}, conversation.id) <
         ('epoch'::timestamptz + :activityUs::bigint * interval '1 microsecond', :afterId::uuid)`,
      { activityUs: filter.after.activityUs, afterId: filter.after.id },
    );
  }
  return builder
    .orderBy(ACTIVITY, 'DESC')
    .addOrderBy('conversation.id', 'DESC')
    .limit(filter.limit + 1);
}
