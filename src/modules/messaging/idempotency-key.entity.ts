import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Remembers the first answer to an `Idempotency-Key` so a repeat gets it again. */
@Entity('idempotency_keys')
export class IdempotencyKey {
  @PrimaryColumn('text')
  key: string;

  /** sha256 of the canonical request body: the same key with another body is refused. */
  @Column({ name: 'request_hash', type: 'text' })
  requestHash: string;

  @Column({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @Column({ name: 'response_status', type: 'integer' })
  responseStatus: number;

  @Column({ name: 'response_body', type: 'jsonb' })
  responseBody: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
