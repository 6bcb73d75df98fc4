import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JsonObject } from '../../platform/database/json';
import type { EventType } from './event-type';

/**
 * One row of the event log. `id` is the order of appends; `seq`, the public position, is given
 * by the EventSequencer once the appending transaction has committed (null until then), so the
 * numbered prefix of the log only ever grows at its end. bigint columns arrive as strings.
 */
@Entity('events')
export class EventRecord {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'bigint', nullable: true })
  seq: string | null;

  @Column({ type: 'text' })
  type: EventType;

  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId: string | null;

  /** For message.updated and conversation.updated: the status before this change. */
  @Column({ name: 'previous_status', type: 'text', nullable: true })
  previousStatus: string | null;

  /** The public JSON of the resource after the change (mapMessage, mapConversation, ...). */
  @Column({ type: 'jsonb' })
  data: JsonObject;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
