import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID, Matches } from 'class-validator';
import { PageLimit, QueryWholeNumber } from '../../../platform/http/pagination';
import type { Page } from '../../../platform/http/pagination';
import type { EventRecord } from '../event-record.entity';
import { EVENT_TYPES } from '../event-type';
import type { EventType } from '../event-type';

/** `?after=SEQ` (or the list convention's `?cursor=`), oldest first, as a log is read. */
export class ListEventsQuery {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    example: 41,
    description: 'the last seq already processed',
  })
  @QueryWholeNumber(0, Number.MAX_SAFE_INTEGER, 'after must be a seq (a whole number >= 0)')
  after?: number;

  @ApiPropertyOptional({
    pattern: '^\\d{1,15}$',
    description: 'the next_cursor of a previous page (same as after)',
  })
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ format: 'uuid', description: "only this conversation's events" })
  @IsOptional()
  @IsUUID()
  conversation_id?: string;
}

export class EventResponse {
  @ApiProperty({ example: 42, description: 'the position in the log; read it with ?after=' })
  seq: number;
  @ApiProperty({ enum: [...EVENT_TYPES], example: 'message.updated' })
  type: EventType;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e11',
  })
  conversation_id: string | null;
  /** The status before the change, for message.updated and conversation.updated; else null. */
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the status before the change, for message.updated and conversation.updated',
    example: 'sent',
  })
  previous_status: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the public JSON of the resource after the change',
    example: { id: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e13', status: 'delivered' },
  })
  data: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', example: '2025-11-26T12:00:00.000Z' })
  created_at: string;
}

/** A page of the log, oldest first; next_cursor is the seq to pass as ?after= (or ?cursor=). */
export type EventPage = Page<EventResponse>;

export function mapEvent(event: EventRecord): EventResponse {
  return {
    seq: Number(event.seq),
    type: event.type,
    conversation_id: event.conversationId,
    previous_status: event.previousStatus,
    data: event.data,
    created_at: event.createdAt.toISOString(),
  };
}
