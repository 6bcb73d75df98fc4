import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AttemptOutcome = 'sent' | 'transient_error' | 'permanent_error';

/** One try at handing a message to its provider; kept forever, also across manual retries. */
@Entity('message_attempts')
export class MessageAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @Column({ type: 'integer' })
  attempt: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz' })
  finishedAt: Date;

  @Column({ type: 'text' })
  outcome: AttemptOutcome;

  @Column({ name: 'http_status', type: 'integer', nullable: true })
  httpStatus: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs: number;
}
