import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Matches, Min } from 'class-validator';
import { PageLimit } from '../../../platform/http/pagination';
import type { EventRecord } from '../event-record.entity';
import type { EventType } from '../event-type';


/** `?after=SEQ` (or the list convention's `?cursor=`), oldest first, as a log is read. */
export class ListEventsQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'after must be a seq (a whole number >= 0)' })
  @Min(0, { message: 'after must be a seq (a whole number >= 0)' })
  after?: number;

  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;

  @PageLimit()
  limit?: number;

  @IsOptional()
  @IsUUID()
  conversation_id?: string;
}

export interface EventResponse {
  seq: number;
  type: EventType;
  conversation_id: string | null;
  /** The status before the change, for message.updated and conversation.updated; else null. */
  previous_status: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

export interface EventPage {
  data: EventResponse[];
  next_cursor: string | null;
}

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
