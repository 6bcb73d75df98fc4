import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import { CHANNELS } from '../channel';
import type { Channel } from '../channel';
import type { Conversation, ConversationStatus } from '../conversation.entity';

const STATUSES: ConversationStatus[] = ['open', 'closed'];

export class CreateConversationDto {
  @IsUUID()
  customer_id: string;

  @IsIn(CHANNELS)
  channel: Channel;

  @IsOptional()
  @IsString()
  @MaxLength(998)
  subject?: string;
}

export class UpdateConversationDto {
  @IsIn(STATUSES)
  status: ConversationStatus;
}

export class ListConversationsQuery extends PageQuery {
  @IsOptional()
  @IsUUID()
  customer_id?: string;

  @IsOptional()
  @IsIn(STATUSES)
  status?: ConversationStatus;

  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;
}

export interface ConversationResponse {
  id: string;
  customer_id: string;
  channel: Channel;
  subject: string | null;
  status: ConversationStatus;
  last_message_at: string | null;
  created_at: string;
  updated_at: string;
}

export function mapConversation(conversation: Conversation): ConversationResponse {
  return {
    id: conversation.id,
    customer_id: conversation.customerId,
    channel: conversation.channel,
    subject: conversation.subject,
    status: conversation.status,
    last_message_at: conversation.lastMessageAt?.toISOString() ?? null,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
  };
}
