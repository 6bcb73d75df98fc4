import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import {
  INBOUND_EVENT_STATUSES,
  type InboundEvent,
  type InboundEventStatus,
} from '../inbound-event.entity';
import { INBOUND_PROVIDERS, type InboundProvider } from '../inbound-provider';

export class ListInboundEventsQuery extends PageQuery {
  @IsOptional()
  @IsIn(INBOUND_EVENT_STATUSES)
  status?: InboundEventStatus;

  @IsOptional()
  @IsIn(INBOUND_PROVIDERS)
  provider?: InboundProvider;
}

export class ReplayWindowQuery {
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 timestamp' })
  from: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 timestamp' })
  to?: string;
}

/** The event without its payload, which may hold message bodies and phone numbers. */
export interface InboundEventResponse {
  id: string;
  provider: InboundProvider;
  event_key: string;
  status: InboundEventStatus;
  error: string | null;
  attempts: number;
  headers: Record<string, string>;
  created_at: string;
  processed_at: string | null;
}

export function mapInboundEvent(event: InboundEvent): InboundEventResponse {
  return {
    id: event.id,
    provider: event.provider,
    event_key: event.eventKey,
    status: event.status,
    error: event.error,
    attempts: event.attempts,
    headers: event.headers,
    created_at: event.createdAt.toISOString(),
    processed_at: event.processedAt?.toISOString() ?? null,
  };
}

/** What a JSON webhook answers: the event and whether processing succeeded. */
export interface WebhookAck {
  event_id: string;
  status: InboundEventStatus;
}

export function mapWebhookAck(event: InboundEvent): WebhookAck {
  return { event_id: event.id, status: event.status };
}
