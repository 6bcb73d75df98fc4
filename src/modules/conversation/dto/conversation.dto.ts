import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Optional } from '../../../platform/http/optional';
import { PageQuery } from '../../../platform/http/pagination';
import { CHANNELS } from '../../../shared/channel';
import type { Channel } from '../../../shared/channel';
import type { Conversation, ConversationStatus } from '../conversation.entity';

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

export class UpdateConversationDto {
  @ApiProperty({ enum: STATUSES, example: 'closed' })
  @IsIn(STATUSES)
  status: ConversationStatus;
}

export class ListConversationsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12' })
  @IsOptional()
  @IsUUID()
  customer_id?: string;

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: ConversationStatus;

  @ApiPropertyOptional({ enum: [...CHANNELS] })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;
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
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_message_at: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export function mapConversation(conversation: Conversation): ConversationResponse {
  return {
    id: conversation.id,
    customer_id: conversation.customerId,
    sender_id: conversation.senderId,
    channel: conversation.channel,
    subject: conversation.subject,
    status: conversation.status,
    last_message_at: conversation.lastMessageAt?.toISOString() ?? null,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
  };
}
