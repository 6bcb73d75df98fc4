import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, Min } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import type { WebhookDeliveryAttempt } from '../webhook-delivery-attempt.entity';
import { WEBHOOK_DELIVERY_STATUSES } from '../webhook-delivery.entity';
import type { WebhookDelivery, WebhookDeliveryStatus } from '../webhook-delivery.entity';

export class ListWebhookDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: WEBHOOK_DELIVERY_STATUSES })
  @IsOptional()
  @IsIn([...WEBHOOK_DELIVERY_STATUSES])
  status?: WebhookDeliveryStatus;
}

export class RecoverWebhookDeliveriesDto {
  @ApiProperty({ format: 'date-time', description: 'failed deliveries created since then' })
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 time' })
  since: Date;
}

export class ReplayWebhookEventsDto {
  @ApiProperty({ minimum: 0, example: 41, description: 'events after this seq are sent again' })
  @IsInt({ message: 'after_seq must be a seq (a whole number >= 0)' })
  @Min(0, { message: 'after_seq must be a seq (a whole number >= 0)' })
  after_seq: number;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ example: 'evt_42', description: 'the payload id and webhook-id header' })
  event_id: string;
  @ApiProperty({ type: Number, nullable: true, example: 42 })
  seq: number | null;
  @ApiProperty({ example: 'message.updated' })
  type: string;
  @ApiProperty({ enum: WEBHOOK_DELIVERY_STATUSES })
  status: WebhookDeliveryStatus;
  @ApiProperty()
  attempt_count: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  next_attempt_at: string | null;
  @ApiProperty({ type: Number, nullable: true })
  last_response_status: number | null;
  @ApiProperty({ type: String, nullable: true })
  last_error: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class WebhookAttemptResponse {
  @ApiProperty()
  attempt: number;
  @ApiProperty({ format: 'date-time' })
  started_at: string;
  @ApiProperty()
  duration_ms: number;
  @ApiProperty({ type: Number, nullable: true })
  response_status: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'the first 4 KiB of the answer' })
  response_body: string | null;
  @ApiProperty({ type: String, nullable: true })
  error: string | null;
}

export class WebhookTestResponse extends WebhookAttemptResponse {
  @ApiProperty({ format: 'uuid' })
  delivery_id: string;
  @ApiProperty({ description: 'a 2xx answered in time' })
  succeeded: boolean;
}

export class WebhookBatchResponse {
  @ApiProperty({ description: 'deliveries scheduled by this request' })
  scheduled: number;
}

/** The payload id (and webhook-id) of an event delivery: stable across tries and replays. */
export function webhookEventId(seq: string | number): string {
  return `evt_${seq}`;
}

export function mapWebhookDelivery(delivery: WebhookDelivery): WebhookDeliveryResponse {
  return {
    id: delivery.id,
    event_id: delivery.seq !== null ? webhookEventId(delivery.seq) : String(delivery.payload?.id),
    seq: delivery.seq === null ? null : Number(delivery.seq),
    type: delivery.type,
    status: delivery.status,
    attempt_count: delivery.attemptCount,
    next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    last_response_status: delivery.lastResponseStatus,
    last_error: delivery.lastError,
    created_at: delivery.createdAt.toISOString(),
  };
}

export function mapWebhookAttempt(attempt: WebhookDeliveryAttempt): WebhookAttemptResponse {
  return {
    attempt: attempt.attempt,
    started_at: attempt.startedAt.toISOString(),
    duration_ms: attempt.durationMs,
    response_status: attempt.responseStatus,
    response_body: attempt.responseBody,
    error: attempt.error,
  };
}
