import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../../platform/database/json';

export const ATTACHMENT_STATUSES = ['pending', 'stored', 'failed'] as const;
export type AttachmentStatus = (typeof ATTACHMENT_STATUSES)[number];

/**
 * A file a message carries, whichever way it travels. Inbound media start `pending` (only the
 * provider's reference is known, in `source`) until the worker has fetched them; uploads and
 * email attachments are `stored` at once. The bytes live in the storage driver under `sha256`.
 */
@Entity('attachments')
export class Attachment {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  status: AttachmentStatus;

  @Column({ name: 'content_type', type: 'text' })
  contentType: string;

  @Column({ type: 'text', nullable: true })
  filename: string | null;

  @Column({
    type: 'bigint',
    nullable: true,
    transformer: { from: toNumber, to: (v: unknown) => v },
  })
  size: number | null;

  @Column({ type: 'text', nullable: true })
  sha256: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** Where a pending file is fetched from: `{provider: 'whatsapp', media_id}` or `{provider: 'twilio', url}`. */
  @Column({ type: 'jsonb', nullable: true })
  source: JsonObject | null;

  @Column({ name: 'fetch_attempts', type: 'int' })
  fetchAttempts: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'stored_at', type: 'timestamptz', nullable: true })
  storedAt: Date | null;
}

function toNumber(value: string | null): number | null {
  return value === null ? null : Number(value);
}
