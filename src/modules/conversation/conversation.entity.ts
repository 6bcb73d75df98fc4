import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  UpdateDateColumn,
  VirtualColumn,
} from 'typeorm';
import type { Channel } from './channel';
import { lastMessageJsonSql } from './dto/conversation-json.sql';

export type ConversationStatus = 'open' | 'closed';

/** What the inbox lists of a conversation's newest message. */
export interface LastMessage {
  id: string;
  /** The body's first LAST_MESSAGE_PREVIEW_CHARS characters; null for a template or media only. */
  body: string | null;
  direction: 'inbound' | 'outbound';
  status: string;
}

@Entity('conversations')
export class Conversation {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ type: 'text' })
  channel: Channel;

  @Column({ type: 'text', nullable: true })
  subject: string | null;

  /** At most one open conversation per (customer, channel): a partial unique index holds it. */
  @Column({ type: 'text', default: 'open' })
  status: ConversationStatus;

  @Column({ name: 'last_message_at', type: 'timestamptz', nullable: true })
  lastMessageAt: Date | null;

  /** The agent answering it; null when unassigned (also when that agent was deleted). */
  @Column({ name: 'assignee_id', type: 'uuid', nullable: true })
  assigneeId: string | null;

  /** Inbound messages stored since an agent last marked it read. */
  @Column({ name: 'unread_count', type: 'int', default: 0 })
  unreadCount: number;

  /** Set by the statements that store a message; the message itself is read on the way out. */
  @Column({ name: 'last_message_id', type: 'uuid', nullable: true })
  lastMessageId: string | null;

  /**
   * Read with the row, from the message itself, so a delivery status change never writes the
   * conversation. Null when there is none (or retention removed it).
   */
  @VirtualColumn({
    type: 'jsonb',
    query: (alias) =>
      `SELECT ${lastMessageJsonSql('last_message')} FROM messages last_message
        WHERE last_message.id = ${alias}.last_message_id`,
  })
  lastMessage: LastMessage | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
