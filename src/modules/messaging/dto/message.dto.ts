import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import { CHANNELS } from '../../conversation/channel';
import type { Channel } from '../../conversation/channel';
import type { MessageAttempt } from '../message-attempt.entity';
import type { Message } from '../message.entity';
import { DIRECTIONS, MESSAGE_STATUSES, PRIORITIES } from '../message-status';
import type { Direction, MessageStatus, Priority } from '../message-status';

/** 64 KiB of text is far above any channel's limit and far below the 1 MiB body limit. */
export const MAX_BODY_LENGTH = 65_536;

export class TemplateDto {
  @IsString()
  @Matches(/^[a-z0-9_]{1,512}$/, {
    message: 'template.name must be a WhatsApp template name (lower case, digits, _)',
  })
  name: string;

  @IsString()
  @Matches(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'template.language must look like en_US' })
  language: string;

  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  components?: Record<string, unknown>[];
}

export class CreateMessageDto {
  @IsUUID()
  conversation_id: string;

  @IsIn(DIRECTIONS)
  direction: Direction;

  @IsIn(CHANNELS)
  channel: Channel;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_BODY_LENGTH)
  body?: string;

  @IsOptional()
  @IsString()
  @MaxLength(998)
  subject?: string;

  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30 * 24 * 3600)
  validity_seconds?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => TemplateDto)
  template?: TemplateDto;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class ListMessagesQuery extends PageQuery {
  @IsOptional()
  @IsIn(MESSAGE_STATUSES)
  status?: MessageStatus;

  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;

  @IsOptional()
  @IsUUID()
  conversation_id?: string;

  @IsOptional()
  @IsIn(DIRECTIONS)
  direction?: Direction;
}

export interface MessageResponse {
  id: string;
  conversation_id: string;
  customer_id: string;
  direction: Direction;
  channel: Channel;
  body: string | null;
  subject: string | null;
  template: Message['template'];
  metadata: Record<string, unknown>;
  priority: Priority;
  status: MessageStatus;
  provider_message_id: string | null;
  attempt_count: number;
  last_error: string | null;
  next_attempt_at: string | null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  failed_at: string | null;
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export function mapMessage(message: Message): MessageResponse {
  return {
    id: message.id,
    conversation_id: message.conversationId,
    customer_id: message.customerId,
    direction: message.direction,
    channel: message.channel,
    body: message.body,
    subject: message.subject,
    template: message.template,
    metadata: message.metadata,
    priority: message.priority,
    status: message.status,
    provider_message_id: message.providerMessageId,
    attempt_count: message.attemptCount,
    last_error: message.lastError,
    next_attempt_at: iso(message.nextAttemptAt),
    expires_at: iso(message.expiresAt),
    created_at: message.createdAt.toISOString(),
    updated_at: message.updatedAt.toISOString(),
    sent_at: iso(message.sentAt),
    delivered_at: iso(message.deliveredAt),
    read_at: iso(message.readAt),
    failed_at: iso(message.failedAt),
  };
}

export interface AttemptResponse {
  attempt: number;
  started_at: string;
  finished_at: string;
  outcome: MessageAttempt['outcome'];
  http_status: number | null;
  error: string | null;
  duration_ms: number;
}

export function mapAttempt(attempt: MessageAttempt): AttemptResponse {
  return {
    attempt: attempt.attempt,
    started_at: attempt.startedAt.toISOString(),
    finished_at: attempt.finishedAt.toISOString(),
    outcome: attempt.outcome,
    http_status: attempt.httpStatus,
    error: attempt.error,
    duration_ms: attempt.durationMs,
  };
}
