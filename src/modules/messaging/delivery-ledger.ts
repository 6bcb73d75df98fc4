import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Channel } from '../conversation/channel';
import { appendEventsSql } from '../events/append-events.sql';
import { messageJsonSql } from './dto/message-json.sql';
import type { AttemptOutcome } from './message-attempt.entity';
import type { MessageTemplate } from './message.entity';
import type { Priority } from './message-status';

/** An outbound message the worker has claimed for one try. */
export interface ClaimedMessage {
  id: string;
  conversationId: string;
  channel: Channel;
  recipient: string | null;
  body: string | null;
  subject: string | null;
  template: MessageTemplate | null;
  createdAt: Date;
  expiresAt: Date | null;
  /** The number of this try, counted over the message's whole life (manual retries included). */
  attempt: number;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  outcome: AttemptOutcome;
  httpStatus?: number;
  error?: string;
}

export interface PendingMessage {
  id: string;
  channel: Channel;
  priority: Priority;
  status: string;
  updatedAt: Date;
}

/** Joined into each status UPDATE, so that its RETURNING can tell the status it replaced. */
const PREVIOUS_STATUS = `(SELECT status AS previous_status FROM messages WHERE id = $1 FOR UPDATE) AS previous`;

/**
 * A status UPDATE (joined with PREVIOUS_STATUS) that appends its message.updated event in the
 * same statement, so the event commits exactly when the change does. `ctes` run before it.
 */
function withUpdatedEvent(update: string, ctes = ''): string {
  return `WITH ${ctes}
     changed AS (${update} RETURNING messages.*, previous.previous_status),
     updated_event AS (${appendEventsSql(
       `SELECT 'message.updated' AS type, conversation_id, previous_status,
               ${messageJsonSql('changed')} AS data
          FROM changed`,
     )})
   SELECT * FROM changed`;
}

/**
 * The outbound state machine as the worker drives it: each transition is one SQL statement that
 * checks the current status, so a redelivered or duplicate job cannot move a message backwards
 * or send a finished message again. Attempts are written in the same statement as the status.
 */
@Injectable()
export class DeliveryLedger {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** queued/retrying → sending; also takes `sending` back after a worker died mid-send. */
  async claimForSending(id: string): Promise<ClaimedMessage | null> {
    const rows = await this.dataSource.query(
      withUpdatedEvent(
        `UPDATE messages SET status = 'sending', attempt_count = attempt_count + 1, updated_at = now()
           FROM ${PREVIOUS_STATUS}
          WHERE id = $1 AND direction = 'outbound' AND status IN ('queued', 'retrying', 'sending')`,
      ),
      [id],
    );
    const row = rows?.[0];
    if (!row) return null;
    return {
      id: row.id,
      conversationId: row.conversation_id,
      channel: row.channel,
      recipient: row.recipient,
      body: row.body,
      subject: row.subject,
      template: row.template,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      attempt: row.attempt_count,
    };
  }

  async recordSent(
    id: string,
    attempt: AttemptRecord,
    providerMessageId: string,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    await this.withAttempt(
      attempt,
      id,
      `UPDATE messages SET status = 'sent', provider_message_id = $9, sent_at = now(),
              last_error = NULL, next_attempt_at = NULL, metadata = metadata || $10::jsonb,
              updated_at = now()
         FROM ${PREVIOUS_STATUS}
        WHERE id = $1 AND status = 'sending'`,
      [providerMessageId, JSON.stringify(metadata)],
    );
  }

  async recordRetry(id: string, attempt: AttemptRecord, nextAttemptAt: Date): Promise<void> {
    await this.withAttempt(
      attempt,
      id,
      `UPDATE messages SET status = 'retrying', last_error = $8, next_attempt_at = $9,
              updated_at = now()
         FROM ${PREVIOUS_STATUS}
        WHERE id = $1 AND status = 'sending'`,
      [nextAttemptAt],
    );
  }

  /** `lastError` sums up the whole round, where the attempt keeps this try's own error. */
  async recordFailure(id: string, attempt: AttemptRecord, lastError: string): Promise<void> {
    await this.withAttempt(
      attempt,
      id,
      `UPDATE messages SET status = 'failed', last_error = $9, failed_at = now(),
              next_attempt_at = NULL, updated_at = now()
         FROM ${PREVIOUS_STATUS}
        WHERE id = $1 AND status = 'sending'`,
      [lastError],
    );
  }

  async expire(id: string, reason: string): Promise<void> {
    await this.dataSource.query(
      withUpdatedEvent(
        `UPDATE messages SET status = 'expired', last_error = $2, next_attempt_at = NULL,
                updated_at = now()
           FROM ${PREVIOUS_STATUS}
          WHERE id = $1 AND status IN ('queued', 'retrying', 'sending')`,
      ),
      [id, reason],
    );
  }

  /** For jobs BullMQ gave up on outside our processor (stalled too often, lost lock). */
  async failIfPending(id: string, reason: string): Promise<boolean> {
    const rows = await this.dataSource.query(
      withUpdatedEvent(
        `UPDATE messages SET status = 'failed', last_error = $2, failed_at = now(),
                next_attempt_at = NULL, updated_at = now()
           FROM ${PREVIOUS_STATUS}
          WHERE id = $1 AND status IN ('queued', 'retrying', 'sending')`,
      ),
      [id, reason],
    );
    return rows.length > 0;
  }

  /** Outbound messages still owed a send whose row has not moved for `olderThanMs`. */
  async findStalePending(olderThanMs: number, limit: number): Promise<PendingMessage[]> {
    return this.dataSource.query(
      `SELECT id, channel, priority, status, updated_at AS "updatedAt" FROM messages
        WHERE status IN ('queued', 'retrying', 'sending')
          AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY updated_at LIMIT $2`,
      [olderThanMs, limit],
    );
  }

  /**
   * The attempt row and the status change in one statement: $1 message id, $2..$7 the attempt,
   * $8 its error, then the statement's own parameters.
   */
  private async withAttempt(
    attempt: AttemptRecord,
    id: string,
    update: string,
    extra: unknown[] = [],
  ): Promise<void> {
    await this.dataSource.query(
      withUpdatedEvent(
        update,
        `attempt AS (
           INSERT INTO message_attempts
             (message_id, attempt, started_at, finished_at, outcome, http_status, error, duration_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $8, $7)
         ),`,
      ),
      [
        id,
        attempt.attempt,
        attempt.startedAt,
        attempt.finishedAt,
        attempt.outcome,
        attempt.httpStatus ?? null,
        attempt.finishedAt.getTime() - attempt.startedAt.getTime(),
        attempt.error ?? null,
        ...extra,
      ],
    );
  }
}
