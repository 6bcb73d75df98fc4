import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JsonObject } from '../../platform/database/json';
import type { EventType } from './event-type';

/**
 * One row of the event log. `seq`, the public position, is drawn from a sequence when the event
 * is appended (the column's default); readers see it once the EventSequencer has published it,
 * so the readable part of the log only ever grows at its end. bigint columns arrive as strings.
 */
@Entity('events')
export class EventRecord {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'bigint', insert: false })
  seq: string;

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
