import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { BatchOptions, Batcher } from '../../platform/database/batcher';
import { PreparedSql, statement } from '../../platform/database/prepared-sql';
import type { Channel } from '../../shared/channel';
import { appendEventsSql } from '../events/append-events.sql';
import { messageJsonSql } from './dto/message-json.sql';
import type { AttemptOutcome } from './message-attempt.entity';
import type { Priority } from './message-status';
import { ReceiptService } from './receipt.service';
import { MessageTemplate } from '../../providers/outbound-client';

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
  /** Whether files go with it: most messages have none, and then no one reads them. */
  hasAttachments: boolean;
  /** The sender it leaves through: its own, else its conversation's. */
  senderId: string;
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

const PENDING = `'queued', 'retrying', 'sending'`;

interface TransitionOptions {
  /**
   * One row per message, its id first, from parameters that are arrays (one element per
   * message): `unnest($1::uuid[], …) AS input(id, …)`. `set` reads the other columns as input.*.
   */
  input: string;
  /** CTEs that run with the update, after the locking read `previous`, each followed by a comma. */
  ctes?: string;
  /** The statement's result columns (`changed` is the updated row). */
  returning: string;
}

/**
 * One status change of each outbound message in $1 (a uuid array) as one statement: `set`
 * applies to a message only when it is in one of the `from` statuses, and its message.updated
 * event (with the status it replaced) is appended in the same statement, so the event commits
 * exactly when the change does. The worker's hot transitions run several messages at once (see
 * DeliveryLedger); the others pass one.
 *
 * The status is checked on the row read with FOR UPDATE, never in the UPDATE's own WHERE: the
 * lock makes it the status really replaced, even when another change commits in between, and the
 * UPDATE then names nothing but the primary key. MATERIALIZED keeps the status test out of the
 * locking read too. A status test next to the id lets Postgres pick messages_pending_idx (whose
 * predicate it implies) for a prepared statement's generic plan and walk the whole backlog for
 * each message: measured at 9 904 and 19 999 rows per update in a 20 000-message drain, while
 * the statistics still described the table before the backlog. Rows are locked in id order, so
 * two batches that share messages wait for each other instead of deadlocking.
 */
function transition(
  set: string,
  from: string,
  { input, ctes = '', returning }: TransitionOptions,
): string {
  return `WITH
     input AS (SELECT * FROM ${input}),
     previous AS MATERIALIZED (
       SELECT id, status, direction FROM messages WHERE id = ANY ($1::uuid[])
        ORDER BY id FOR UPDATE),
     ${ctes}
     changed AS (
       UPDATE messages SET ${set}, updated_at = now()
         FROM previous JOIN input ON input.id = previous.id
        WHERE messages.id = previous.id
          AND previous.direction = 'outbound' AND previous.status IN (${from})
       RETURNING messages.*, previous.status AS previous_status),
     updated_event AS (${appendEventsSql(
       `SELECT 'message.updated' AS type, conversation_id, previous_status,
               ${messageJsonSql('changed')} AS data
          FROM changed`,
     )})
   SELECT ${returning} FROM changed`;
}

/** The columns of one try ($1..$8), then the outcome's own (from $9). */
const ATTEMPT_COLUMNS: [name: string, type: string][] = [
  ['id', 'uuid'],
  ['attempt', 'int'],
  ['started_at', 'timestamptz'],
  ['finished_at', 'timestamptz'],
  ['outcome', 'text'],
  ['http_status', 'int'],
  ['duration_ms', 'int'],
  ['error', 'text'],
];

/** `unnest($1::uuid[], $2::…[]) AS input(id, …)` over these columns. */
function unnestInput(columns: [name: string, type: string][]): string {
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return `unnest(${arrays}) AS input(${columns.map(([name]) => name).join(', ')})`;
}

/** The outcome of a try: its attempt row and the status change from `from` in one statement. */
function outcome(set: string, own: [name: string, type: string][], from = `'sending'`): string {
  return transition(set, from, {
    input: unnestInput([...ATTEMPT_COLUMNS, ...own]),
    returning: 'id',
    // From the locked row: a message erased while its send was in flight keeps no attempt.
    ctes: `attempt AS (
       INSERT INTO message_attempts
         (message_id, attempt, started_at, finished_at, outcome, http_status, error, duration_ms)
       SELECT input.id, input.attempt, input.started_at, input.finished_at, input.outcome,
              input.http_status, input.error, input.duration_ms
         FROM input JOIN previous ON previous.id = input.id
     ),`,
  });
}

/**
 * queued/retrying → sending, and `sending` again after a worker died mid-send. The claim is
 * committed without waiting for its WAL flush (synchronous_commit off for this one transaction).
 * Losing it takes a Postgres crash between the claim and the outcome, and the outcome is written
 * with a normal commit, whose flush covers the claim's earlier WAL too. A lost claim leaves the
 * message queued or retrying, so it is sent again: the same outcome as a worker that dies
 * mid-send with a durable claim. What it saves is one WAL flush per message, which on one box
 * with 20 sends in flight is what the worker waits on most.
 */
const CLAIM = statement(
  'ledger-claim',
  transition(`status = 'sending', attempt_count = messages.attempt_count + 1`, PENDING, {
    input: unnestInput([['id', 'uuid']]),
    returning: `id, conversation_id, channel, recipient, body, subject, template, created_at,
                expires_at, attempt_count,
                COALESCE(changed.sender_id, (SELECT sender_id FROM conversations
                                              WHERE conversations.id = changed.conversation_id))
                  AS sender_id,
                EXISTS (SELECT 1 FROM message_attachments link WHERE link.message_id = changed.id)
                  AS has_attachments,
                set_config('synchronous_commit', 'off', true)`,
  }),
);

/**
 * From any pending status, not only `sending`: a provider's yes is written even when the claim
 * before it was lost (a Postgres crash; the claim commits without waiting for its flush) or a
 * worker that took the job over meanwhile left the message `retrying`. Sending it again would
 * be the only alternative.
 */
const RECORD_SENT = statement(
  'ledger-record-sent',
  outcome(
    `status = 'sent', provider_message_id = input.provider_message_id, sent_at = now(),
     last_error = NULL, next_attempt_at = NULL, metadata = messages.metadata || input.metadata`,
    [
      ['provider_message_id', 'text'],
      ['metadata', 'jsonb'],
    ],
    PENDING,
  ),
);

const RECORD_RETRY = statement(
  'ledger-record-retry',
  outcome(
    `status = 'retrying', last_error = input.error, next_attempt_at = input.next_attempt_at`,
    [['next_attempt_at', 'timestamptz']],
  ),
);

const RECORD_FAILURE = statement(
  'ledger-record-failure',
  outcome(
    `status = 'failed', last_error = input.last_error, failed_at = now(), next_attempt_at = NULL`,
    [['last_error', 'text']],
  ),
);

/** The sender each message leaves through, read before its claim to check the sender's rate. */
const SENDER_OF = statement(
  'ledger-sender-of',
  `SELECT messages.id, COALESCE(messages.sender_id, conversations.sender_id) AS sender_id
     FROM messages JOIN conversations ON conversations.id = messages.conversation_id
    WHERE messages.id = ANY ($1::uuid[])`,
);

const REASON_INPUT = unnestInput([
  ['id', 'uuid'],
  ['reason', 'text'],
]);

const EXPIRE = statement(
  'ledger-expire',
  transition(`status = 'expired', last_error = input.reason, next_attempt_at = NULL`, PENDING, {
    input: REASON_INPUT,
    returning: 'id',
  }),
);

const FAIL_IF_PENDING = statement(
  'ledger-fail-if-pending',
  transition(
    `status = 'failed', last_error = input.reason, failed_at = now(), next_attempt_at = NULL`,
    PENDING,
    { input: REASON_INPUT, returning: 'id' },
  ),
);

/**
 * One page of the outbox sweeper's keyset walk over pending messages of one priority, oldest
 * change first, unchanged for $1 ms ($6 ms for `sending`: a live worker may still be on those).
 * `updated_at >= $3` lets the partial pending index bound the scan; the row comparison breaks
 * ties by id. The cursor is the timestamp as text, with its microseconds (a JavaScript Date would
 * drop them and repeat or skip rows).
 */
const PENDING_PAGE = statement(
  'ledger-pending-page',
  `SELECT id, channel, priority, status, updated_at AS "updatedAt", updated_at::text AS cursor
     FROM messages
    WHERE status IN (${PENDING}) AND priority = $2
      AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
      AND (status <> 'sending'
           OR updated_at < now() - make_interval(secs => $6::double precision / 1000))
      AND updated_at >= $3::timestamptz AND (updated_at, id) > ($3::timestamptz, $4::uuid)
    ORDER BY updated_at, id LIMIT $5`,
);

/** Where a walk over pending messages resumes: after this row. */
export interface PendingCursor {
  updatedAt: string;
  id: string;
}

const FIRST_PENDING: PendingCursor = {
  updatedAt: '-infinity',
  id: '00000000-0000-0000-0000-000000000000',
};

interface ClaimedRow {
  id: string;
  conversation_id: string;
  channel: Channel;
  recipient: string | null;
  body: string | null;
  subject: string | null;
  template: MessageTemplate | null;
  created_at: Date;
  expires_at: Date | null;
  attempt_count: number;
  has_attachments: boolean;
  sender_id: string;
}

function claimedMessage(row: ClaimedRow): ClaimedMessage {
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
    hasAttachments: row.has_attachments,
    senderId: row.sender_id,
  };
}

function attemptValues(id: string, attempt: AttemptRecord): unknown[] {
  return [
    id,
    attempt.attempt,
    attempt.startedAt,
    attempt.finishedAt,
    attempt.outcome,
    attempt.httpStatus ?? null,
    attempt.finishedAt.getTime() - attempt.startedAt.getTime(),
    attempt.error ?? null,
  ];
}

/** Rows of values (one per message) as the per-column arrays that unnestInput() reads. */
function asColumns(rows: unknown[][]): unknown[][] {
  return rows[0].map((_, column) => rows.map((row) => row[column]));
}

interface SentRecord {
  id: string;
  attempt: AttemptRecord;
  providerMessageId: string;
  metadata: Record<string, unknown>;
}

/**
 * Claims and outcomes of sends in flight at once (up to OUTBOUND_CONCURRENCY per worker channel)
 * are written as one statement and one commit each, so the round trip, the statement and the
 * commit are paid once per batch instead of once per message. Since only the provider call holds
 * a send slot (SendSlots) and the worker holds three jobs per slot, these waits no longer stop a
 * send, and they can be long enough to fill batches, which is the CPU two workers on a busy box
 * run out of: outcomes wait 10 ms, claims and sender lookups 3 ms, the look for held receipts
 * (off every job's path) 20 ms. Deliver bench, 10 000 messages to a 20 ms provider, one worker ÷
 * the bare worker / two workers ÷ one: 1.07 / 1.25× with the old waits (outcomes 3 ms, the others
 * none) and two jobs per slot; 1.07 / 1.41× with 6, 2 and 20 ms and three; 0.98–1.08 / 1.42–1.61×
 * with these (four runs, one of 20 000; two workers then spend ~1.9 of the box's 2 cores). While
 * claims held the slot: outcomes 2 ms 0.78 / 1.42×, 3 ms 0.74 / 1.62×.
 */
const BATCHING: BatchOptions = { maxBatch: 64, maxInFlight: 1, lingerMs: 10 };

/**
 * The outbound state machine as the worker drives it: each transition is one SQL statement that
 * checks the current status, so a redelivered or duplicate job cannot move a message backwards
 * or send a finished message again. Attempts are written in the same statement as the status.
 */
@Injectable()
export class DeliveryLedger implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryLedger.name);
  private readonly claims = new Batcher<string, ClaimedMessage | null>(
    (ids) => this.claimAll(ids),
    { ...BATCHING, lingerMs: 3 },
  );
  private readonly sends = new Batcher<SentRecord, void>(
    (records) => this.recordAllSent(records),
    BATCHING,
  );
  private readonly senderLookups = new Batcher<string, string | null>(
    async (ids) => {
      const rows = await this.sql.rows<{ id: string; sender_id: string }>(SENDER_OF, [ids]);
      const senders = new Map(rows.map((row) => [row.id, row.sender_id]));
      return ids.map((id) => senders.get(id) ?? null);
    },
    { ...BATCHING, lingerMs: 3 },
  );
  /** Looks for receipts held for messages just recorded sent, off the jobs' path. */
  private readonly heldProbes = new Batcher<string, void>(
    async (ids) => {
      await this.applyHeldReceipts(ids);
      return ids.map(() => undefined);
    },
    { ...BATCHING, lingerMs: 20 },
  );
  private readonly probing = new Set<Promise<void>>();

  constructor(
    private readonly sql: PreparedSql,
    private readonly receipts: ReceiptService,
  ) {}

  /** queued/retrying → sending; also takes `sending` back after a worker died mid-send. */
  claimForSending(id: string): Promise<ClaimedMessage | null> {
    return this.claims.submit(id);
  }

  /** The id of the sender the message leaves through; null when the message is gone. */
  senderOf(id: string): Promise<string | null> {
    return this.senderLookups.submit(id);
  }

  recordSent(
    id: string,
    attempt: AttemptRecord,
    providerMessageId: string,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    return this.sends.submit({ id, attempt, providerMessageId, metadata });
  }

  async recordRetry(id: string, attempt: AttemptRecord, nextAttemptAt: Date): Promise<void> {
    await this.sql.rows(RECORD_RETRY, asColumns([[...attemptValues(id, attempt), nextAttemptAt]]));
  }

  /** `lastError` sums up the whole round, where the attempt keeps this try's own error. */
  async recordFailure(id: string, attempt: AttemptRecord, lastError: string): Promise<void> {
    await this.sql.rows(RECORD_FAILURE, asColumns([[...attemptValues(id, attempt), lastError]]));
  }

  async expire(id: string, reason: string): Promise<void> {
    await this.sql.rows(EXPIRE, asColumns([[id, reason]]));
  }

  /** For jobs BullMQ gave up on outside our processor (stalled too often, lost lock). */
  async failIfPending(id: string, reason: string): Promise<boolean> {
    const rows = await this.sql.rows(FAIL_IF_PENDING, asColumns([[id, reason]]));
    return rows.length > 0;
  }

  /** A message asked for twice in one batch is claimed once: the second asker gets null. */
  private async claimAll(ids: string[]): Promise<(ClaimedMessage | null)[]> {
    const unique = [...new Set(ids)];
    const rows = await this.sql.rows<ClaimedRow>(CLAIM, [unique]);
    const claimed = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = claimed.get(id);
      claimed.delete(id);
      return row ? claimedMessage(row) : null;
    });
  }

  private async recordAllSent(records: SentRecord[]): Promise<void[]> {
    const byId = new Map(records.map((record) => [record.id, record]));
    const changed = await this.sql.rows<{ id: string }>(
      RECORD_SENT,
      asColumns(
        [...byId.values()].map(({ id, attempt, providerMessageId, metadata }) => [
          ...attemptValues(id, attempt),
          providerMessageId,
          JSON.stringify(metadata),
        ]),
      ),
    );
    // Receipts that overtook these outcomes were held for them. The look for them runs after
    // the commit (see ReceiptService) but need not hold up the jobs: the outcomes are durable.
    for (const { id } of changed) {
      const probe = this.heldProbes.submit(id);
      this.probing.add(probe);
      void probe.finally(() => this.probing.delete(probe));
    }
    return records.map(() => undefined);
  }

  /** Shutdown waits for the looks for held receipts still running. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.probing);
  }

  private async applyHeldReceipts(messageIds: string[]): Promise<void> {
    try {
      await this.receipts.applyHeldReceiptsOf(messageIds);
    } catch (error) {
      // They stay held, and the message's next receipt applies them.
      this.logger.warn(
        { messages: messageIds.length, error: (error as Error).message },
        'held receipts not applied yet',
      );
    }
  }

  /**
   * Outbound messages of one priority still owed a send whose row has not moved for
   * `olderThanMs` (`sendingOlderThanMs` for those in `sending`), `limit` at a time; `next` is
   * null after the last page.
   */
  async pendingPage(
    { olderThanMs, sendingOlderThanMs }: { olderThanMs: number; sendingOlderThanMs: number },
    priority: Priority,
    after: PendingCursor | null,
    limit: number,
  ): Promise<{ messages: PendingMessage[]; next: PendingCursor | null }> {
    const from = after ?? FIRST_PENDING;
    const rows = await this.sql.rows<PendingMessage & { cursor: string }>(PENDING_PAGE, [
      olderThanMs,
      priority,
      from.updatedAt,
      from.id,
      limit,
      sendingOlderThanMs,
    ]);
    const last = rows[rows.length - 1];
    return {
      messages: rows.map(({ cursor: _cursor, ...message }) => message),
      next: rows.length === limit ? { updatedAt: last.cursor, id: last.id } : null,
    };
  }
}
