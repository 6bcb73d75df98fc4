import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
  ArrayMaxSize,
  ArrayUnique,
  ValidateNested,
} from 'class-validator';
import { Optional } from '../../../platform/http/optional';
import { SchemaShortcut } from '../../../platform/http/schema-shortcut';
import { AttachmentResponse } from '../../attachments/dto/attachment.dto';
import { PageQuery } from '../../../platform/http/pagination';
import { ATTEMPT_OUTCOMES } from '../../../platform/metrics/app-metrics';
import { CHANNELS } from '../../../shared/channel';
import type { Channel } from '../../../shared/channel';
import type { MessageAttempt } from '../message-attempt.entity';
import type { Message } from '../message.entity';
import { DIRECTIONS, MESSAGE_STATUSES, PRIORITIES } from '../message-status';
import type { Direction, MessageStatus, Priority } from '../message-status';

/** 64 KiB of text is far above any channel's limit and far below the 1 MiB body limit. */
export const MAX_BODY_LENGTH = 65_536;

/** Twilio's MMS maximum; the other channels' limits are checked per file. */
export const MAX_ATTACHMENTS = 10;

/** RFC 5322's limit for a line, which a subject header must fit in. */
const MAX_SUBJECT_LENGTH = 998;
const MAX_VALIDITY_SECONDS = 30 * 24 * 3600;
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const TEMPLATE_LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;

/** Keys Nest's ValidationPipe deletes from any object it validates (prototype pollution). */
const STRIPPED_KEYS = ['__proto__', 'prototype', 'constructor'];

/** Any JSON that class-transformer copies as it is: none of STRIPPED_KEYS at any depth. */
const PLAIN_JSON = {
  type: ['string', 'number', 'boolean', 'null', 'array', 'object'],
  items: { $ref: '#/$defs/plainJson' },
  propertyNames: { not: { enum: STRIPPED_KEYS } },
  additionalProperties: { $ref: '#/$defs/plainJson' },
};
const PLAIN_OBJECT = { $ref: '#/$defs/plainJson', type: 'object' };

/** Versions 1 to 8 in IsUUID's form: its nil and max UUIDs are left to class-validator. */
const UUID = {
  type: 'string',
  pattern:
    '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$',
};

/**
 * CreateMessageDto and TemplateDto below as one JSON Schema, for RequestValidationPipe's shortcut
 * on POST /api/messages: keep the two in step. Never looser than the decorators
 * (message.dto.spec.ts checks it).
 */
const CREATE_MESSAGE_SCHEMA = {
  $defs: { plainJson: PLAIN_JSON, uuid: UUID },
  type: 'object',
  required: ['conversation_id', 'direction', 'channel'],
  additionalProperties: false,
  properties: {
    conversation_id: { $ref: '#/$defs/uuid' },
    direction: { enum: DIRECTIONS },
    channel: { enum: CHANNELS },
    body: { type: 'string', minLength: 1, maxLength: MAX_BODY_LENGTH },
    subject: { type: 'string', minLength: 1, maxLength: MAX_SUBJECT_LENGTH },
    priority: { enum: PRIORITIES },
    validity_seconds: { type: 'integer', minimum: 1, maximum: MAX_VALIDITY_SECONDS },
    template: {
      type: 'object',
      required: ['name', 'language'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: TEMPLATE_NAME.source },
        language: { type: 'string', pattern: TEMPLATE_LANGUAGE.source },
        components: { type: 'array', items: PLAIN_OBJECT },
      },
    },
    metadata: PLAIN_OBJECT,
    attachments: {
      type: 'array',
      maxItems: MAX_ATTACHMENTS,
      uniqueItems: true,
      items: { $ref: '#/$defs/uuid' },
    },
  },
};

export class TemplateDto {
  @ApiProperty({ example: 'order_update', description: 'an approved WhatsApp template' })
  @IsString()
  @Matches(TEMPLATE_NAME, {
    message: 'template.name must be a WhatsApp template name (lower case, digits, _)',
  })
  name: string;

  @ApiProperty({ example: 'en_US' })
  @IsString()
  @Matches(TEMPLATE_LANGUAGE, { message: 'template.language must look like en_US' })
  language: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object' },
    example: [{ type: 'body', parameters: [{ type: 'text', text: '1001' }] }],
  })
  @Optional()
  @IsArray()
  @IsObject({ each: true })
  components?: Record<string, unknown>[];
}

@SchemaShortcut(CREATE_MESSAGE_SCHEMA)
export class CreateMessageDto {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e11' })
  @IsUUID()
  conversation_id: string;

  @ApiProperty({ enum: [...DIRECTIONS], example: 'outbound' })
  @IsIn(DIRECTIONS)
  direction: Direction;

  @ApiProperty({ enum: [...CHANNELS], example: 'whatsapp' })
  @IsIn(CHANNELS)
  channel: Channel;

  @ApiPropertyOptional({
    example: 'Your order has shipped.',
    maxLength: 65536,
    description: 'required unless a WhatsApp template is given',
  })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_BODY_LENGTH)
  body?: string;

  @ApiPropertyOptional({ example: 'Your order', description: 'email only' })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SUBJECT_LENGTH)
  subject?: string;

  @ApiPropertyOptional({ enum: [...PRIORITIES], default: 'normal' })
  @Optional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @ApiPropertyOptional({
    example: 3600,
    minimum: 1,
    maximum: 2592000,
    description: 'never sent after this',
  })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_VALIDITY_SECONDS)
  validity_seconds?: number;

  @ApiPropertyOptional({ type: () => TemplateDto })
  @Optional()
  @ValidateNested()
  @Type(() => TemplateDto)
  template?: TemplateDto;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { recipient: '+14155550100' },
    description: "recipient overrides the customer's address",
  })
  @Optional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'ids from POST /api/attachments, sent in this order; body becomes the caption',
  })
  @Optional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  attachments?: string[];
}

export class ListMessagesQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: [...MESSAGE_STATUSES],
  })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES)
  status?: MessageStatus;

  @ApiPropertyOptional({ enum: [...CHANNELS] })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  conversation_id?: string;

  @ApiPropertyOptional({ enum: [...DIRECTIONS] })
  @IsOptional()
  @IsIn(DIRECTIONS)
  direction?: Direction;
}

export class MessageResponse {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e13' })
  id: string;
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e11' })
  conversation_id: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "its conversation's sender (null on messages stored before senders existed)",
  })
  sender_id: string | null;
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12' })
  customer_id: string;
  @ApiProperty({ enum: [...DIRECTIONS], example: 'outbound' })
  direction: Direction;
  @ApiProperty({ enum: [...CHANNELS], example: 'whatsapp' })
  channel: Channel;
  @ApiProperty({ type: String, nullable: true, example: 'Your order has shipped.' })
  body: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  subject: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  template: Message['template'];
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  metadata: Record<string, unknown>;
  @ApiProperty({ enum: [...PRIORITIES], example: 'normal' })
  priority: Priority;
  @ApiProperty({
    enum: [...MESSAGE_STATUSES],
    example: 'queued',
  })
  status: MessageStatus;
  @ApiProperty({ type: String, nullable: true, example: null })
  provider_message_id: string | null;
  @ApiProperty({ example: 0 })
  attempt_count: number;
  @ApiProperty({ type: String, nullable: true, example: null })
  last_error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  next_attempt_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  expires_at: string | null;
  @ApiProperty({ format: 'date-time', example: '2025-11-26T12:00:00.000Z' })
  created_at: string;
  @ApiProperty({ format: 'date-time', example: '2025-11-26T12:00:00.000Z' })
  updated_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  sent_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  delivered_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  read_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  failed_at: string | null;
  @ApiProperty({ type: [AttachmentResponse] })
  attachments: AttachmentResponse[];
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export function mapMessage(
  message: Message,
  attachments: AttachmentResponse[] = [],
): MessageResponse {
  return {
    id: message.id,
    conversation_id: message.conversationId,
    sender_id: message.senderId,
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
    attachments,
  };
}

export class AttemptResponse {
  @ApiProperty({ example: 1, description: '1 for the first try' })
  attempt: number;
  @ApiProperty({ format: 'date-time', example: '2025-11-26T12:00:00.000Z' })
  started_at: string;
  @ApiProperty({ format: 'date-time', example: '2025-11-26T12:00:00.250Z' })
  finished_at: string;
  @ApiProperty({ enum: [...ATTEMPT_OUTCOMES], example: 'sent' })
  outcome: MessageAttempt['outcome'];
  @ApiProperty({ type: Number, nullable: true, example: 200 })
  http_status: number | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  error: string | null;
  @ApiProperty({ example: 250 })
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
