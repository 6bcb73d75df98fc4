import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { Optional } from '../../../platform/http/optional';
import { PageLimit } from '../../../platform/http/pagination';
import { CHANNELS } from '../../../shared/channel';
import type { Channel } from '../../../shared/channel';
import type { Conversation, ConversationStatus, LastMessage } from '../conversation.entity';
import { LAST_MESSAGE_PREVIEW_CHARS } from './conversation-json.sql';

const STATUSES: ConversationStatus[] = ['open', 'closed'];

export class CreateConversationDto {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12' })
  @IsUUID()
  customer_id: string;

  @ApiProperty({ enum: [...CHANNELS], example: 'whatsapp' })
  @IsIn(CHANNELS)
  channel: Channel;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "the sender it is held on; default: the channel's default sender",
  })
  @Optional()
  @IsUUID()
  sender_id?: string;

  @ApiPropertyOptional({ example: 'Order #1001', maxLength: 998 })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(998)
  subject?: string;
}

/** Each field given changes the conversation; at least one is needed. */
export class UpdateConversationDto {
  @ApiPropertyOptional({ enum: STATUSES, example: 'closed' })
  @Optional()
  @IsIn(STATUSES)
  status?: ConversationStatus;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the agent to answer it; null unassigns it',
  })
  @IsOptional()
  @IsUUID('all', { message: 'assignee_id must be the id of an agent, or null' })
  assignee_id?: string | null;
}

/** `next_cursor` of the conversation list: the activity time in microseconds, then the id. */
export const CONVERSATION_CURSOR =
  /^(\d{1,17})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** `?assignee=`: the signed-in agent, nobody, or an agent's id. */
export type AssigneeFilter = 'me' | 'none' | string;

/**
 * Newest activity first (the last message, or the opening of a conversation without one), in
 * keyset pages over (activity, id): its cursor is not an id, unlike other lists.
 */
export class ListConversationsQuery {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @Matches(CONVERSATION_CURSOR, { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12' })
  @IsOptional()
  @IsUUID()
  customer_id?: string;

  @ApiPropertyOptional({
    example: 'me',
    description: '`me` (the signed-in agent), `none` (unassigned) or an agent id',
  })
  @IsOptional()
  @ValidateIf(
    (query: ListConversationsQuery) => query.assignee !== 'me' && query.assignee !== 'none',
  )
  @IsUUID('all', { message: 'assignee must be me, none or an agent id' })
  assignee?: AssigneeFilter;

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: ConversationStatus;

  @ApiPropertyOptional({ enum: [...CHANNELS] })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;

  @ApiPropertyOptional({ format: 'uuid', description: 'conversations held on this sender' })
  @IsOptional()
  @IsUUID()
  sender_id?: string;
}

export class LastMessageResponse implements LastMessage {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: LAST_MESSAGE_PREVIEW_CHARS,
    description: `the first ${LAST_MESSAGE_PREVIEW_CHARS} characters of the body`,
  })
  body: string | null;
  @ApiProperty({ enum: ['inbound', 'outbound'] })
  direction: 'inbound' | 'outbound';
  @ApiProperty({ example: 'delivered', description: 'the message status, as it is now' })
  status: string;
}

export class ConversationResponse {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e11' })
  id: string;
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12' })
  customer_id: string;
  @ApiProperty({ enum: [...CHANNELS], example: 'whatsapp' })
  channel: Channel;
  @ApiProperty({ format: 'uuid', example: '00000000-0000-4000-8000-000000000001' })
  sender_id: string;
  @ApiProperty({ type: String, nullable: true, example: 'Order #1001' })
  subject: string | null;
  @ApiProperty({ enum: STATUSES, example: 'open' })
  status: ConversationStatus;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the agent answering it',
  })
  assignee_id: string | null;
  @ApiProperty({ example: 2, description: 'inbound messages since an agent last read it' })
  unread_count: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_message_at: string | null;
  @ApiProperty({ type: () => LastMessageResponse, nullable: true })
  last_message: LastMessageResponse | null;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

/** Who a listed conversation is with, so that a list shows names without a request per row. */
export class ConversationCustomerResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ann Lee' })
  name: string | null;
  @ApiProperty({ type: String, nullable: true, example: '+14155550100' })
  phone: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'ann@example.com' })
  email: string | null;
  @ApiProperty({ type: String, nullable: true })
  external_id: string | null;
}

export class ListedConversationResponse extends ConversationResponse {
  @ApiProperty({ type: ConversationCustomerResponse })
  customer: ConversationCustomerResponse;
}

export function mapConversation(conversation: Conversation): ConversationResponse {
  return {
    id: conversation.id,
    customer_id: conversation.customerId,
    sender_id: conversation.senderId,
    channel: conversation.channel,
    subject: conversation.subject,
    status: conversation.status,
    assignee_id: conversation.assigneeId,
    unread_count: conversation.unreadCount,
    last_message_at: conversation.lastMessageAt?.toISOString() ?? null,
    last_message: conversation.lastMessage ?? null,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
  };
}
