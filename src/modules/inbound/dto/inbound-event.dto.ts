import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import {
  INBOUND_EVENT_STATUSES,
  type InboundEvent,
  type InboundEventStatus,
} from '../inbound-event.entity';
import { INBOUND_PROVIDERS, type InboundProvider } from '../inbound-provider';

export class ListInboundEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: [...INBOUND_EVENT_STATUSES], example: 'failed' })
  @IsOptional()
  @IsIn(INBOUND_EVENT_STATUSES)
  status?: InboundEventStatus;

  @ApiPropertyOptional({ enum: [...INBOUND_PROVIDERS], example: 'whatsapp' })
  @IsOptional()
  @IsIn(INBOUND_PROVIDERS)
  provider?: InboundProvider;
}

export class ReplayWindowQuery {
  @ApiProperty({ format: 'date-time', example: '2026-11-26T00:00:00Z', description: 'inclusive' })
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 timestamp' })
  from: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-11-26T12:00:00Z',
    description: 'exclusive; default now',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 timestamp' })
  to?: string;
}

/** The event without its payload, which may hold message bodies and phone numbers. */
export class InboundEventResponse {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e21' })
  id: string;
  @ApiProperty({ enum: [...INBOUND_PROVIDERS], example: 'whatsapp' })
  provider: InboundProvider;
  @ApiProperty({
    description:
      'sha256 of the payload (web: of webhook-id and payload): a redelivery is the same event',
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  })
  event_key: string;
  @ApiProperty({ enum: [...INBOUND_EVENT_STATUSES], example: 'processed' })
  status: InboundEventStatus;
  @ApiProperty({ type: String, nullable: true, example: null })
  error: string | null;
  @ApiProperty({ example: 1 })
  attempts: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'an allow-list of the request headers, never signatures or credentials',
    example: { 'content-type': 'application/json' },
  })
  headers: Record<string, string>;
  @ApiProperty({ format: 'date-time', example: '2025-11-26T12:00:00.000Z' })
  created_at: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2025-11-26T12:00:00.050Z',
  })
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
export class WebhookAck {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e21' })
  event_id: string;
  @ApiProperty({ enum: [...INBOUND_EVENT_STATUSES], example: 'processed' })
  status: InboundEventStatus;
}

export function mapWebhookAck(event: InboundEvent): WebhookAck {
  return { event_id: event.id, status: event.status };
}
