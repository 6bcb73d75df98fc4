import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { JsonObject } from '../../platform/database/json';
import type { Channel } from '../../shared/channel';

export const SENDER_STATUSES = ['enabled', 'disabled'] as const;
export type SenderStatus = (typeof SENDER_STATUSES)[number];

/** Where a sender's settings come from: the API, or the channel's environment variables. */
export type SenderSource = 'api' | 'environment';

/**
 * One identity a channel sends from and receives on: a WhatsApp number, a Twilio account, a
 * mailbox, a web endpoint. `config` holds the non-secret fields; the secret ones are sealed
 * together in `sealedSecrets` (AES-256-GCM under SENDER_SECRETS_KEY) and never leave the process.
 */
@Entity('senders')
export class Sender {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  channel: Channel;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  source: SenderSource;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  config: JsonObject;

  @Column({ name: 'sealed_secrets', type: 'text', nullable: true })
  sealedSecrets: string | null;

  @Column({ type: 'text', default: 'enabled' })
  status: SenderStatus;

  /** At most one per channel (a partial unique index); none: the environment sender is default. */
  @Column({ name: 'is_default', type: 'boolean', default: false })
  isDefault: boolean;

  /** Null: the channel's <CHANNEL>_RATE_LIMIT_PER_SECOND. */
  @Column({ name: 'rate_limit_per_second', type: 'integer', nullable: true })
  rateLimitPerSecond: number | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'last_error_at', type: 'timestamptz', nullable: true })
  lastErrorAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
