import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { InboundProvider } from './inbound-provider';

export const INBOUND_EVENT_STATUSES = ['received', 'processed', 'failed'] as const;
export type InboundEventStatus = (typeof INBOUND_EVENT_STATUSES)[number];

/**
 * A verified webhook exactly as it arrived, kept in the transaction that processes it, or alone
 * with its error when processing fails, so that a failure never loses it (see InboundService). `payload` is the body as received, except for
 * multipart forms, which are kept as the JSON of their text fields (attachments are not kept).
 */
@Entity('inbound_events')
export class InboundEvent {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  provider: InboundProvider;

  /** sha256 of the payload (web: webhook-id and payload): a redelivery is the same event. */
  @Column({ name: 'event_key', type: 'text' })
  eventKey: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType: string;

  /** Only an allow-list of headers: never signatures or credentials. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  headers: Record<string, string>;

  @Column({ type: 'text' })
  payload: string;

  /** The sender it was routed to; null while no sender takes it (see inbound-routing.ts). */
  @Column({ name: 'sender_id', type: 'uuid', nullable: true })
  senderId: string | null;

  @Column({ type: 'text', default: 'received' })
  status: InboundEventStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  /**
   * Digests of the identities and provider message ids it carries, by which erasure finds it
   * (subject-keys.ts); null when it could not be read in full, and is found by its text instead.
   */
  @Column({ name: 'subject_keys', type: 'text', array: true, nullable: true })
  subjectKeys: string[] | null;
}
