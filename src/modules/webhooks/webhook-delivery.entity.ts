import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../../platform/database/json';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Why a delivery exists: the fan-out of an event, a replay asked for, or a `webhook.test`. */
export type WebhookDeliveryOrigin = 'event' | 'replay' | 'test';

/**
 * One event to one endpoint: the truth about what must still be sent. The worker claims due rows
 * with a lease (leased_until), so a worker that dies mid-send loses nothing: the lease runs out
 * and another worker sends again. bigint columns arrive as strings.
 */
@Entity('webhook_deliveries')
export class WebhookDelivery {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId: string;

  @Column({ type: 'text' })
  origin: WebhookDeliveryOrigin;

  @Column({ name: 'event_id', type: 'bigint', nullable: true })
  eventId: string | null;

  @Column({ type: 'bigint', nullable: true })
  seq: string | null;

  @Column({ type: 'text' })
  type: string;

  /** The body for a `webhook.test` only; event deliveries read theirs from the event log. */
  @Column({ type: 'jsonb', nullable: true })
  payload: JsonObject | null;

  @Column({ type: 'text', default: 'pending' })
  status: WebhookDeliveryStatus;

  @Column({ name: 'attempt_count', type: 'integer', default: 0 })
  attemptCount: number;

  /** Attempts since the delivery was created or last resent: the retry schedule counts these. */
  @Column({ name: 'round_attempts', type: 'integer', default: 0 })
  roundAttempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt: Date;

  @Column({ name: 'leased_until', type: 'timestamptz', nullable: true })
  leasedUntil: Date | null;

  @Column({ name: 'last_response_status', type: 'integer', nullable: true })
  lastResponseStatus: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
