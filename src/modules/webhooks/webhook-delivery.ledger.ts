import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Batcher, BatchOptions } from '../../platform/database/batcher';
import { isoTimestampSql } from '../../platform/database/json-sql';
import { EventLog } from '../events/event-log';
import { mapWebhookEndpoint } from './dto/webhook-endpoint.dto';
import { WebhookEndpoint } from './webhook-endpoint.entity';

/** A delivery claimed for one try, with everything the try needs. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  origin: string;
  attempt: number;
  roundAttempts: number;
  url: string;
  secrets: string[];
  rateLimitPerSecond: number | null;
  endpointFailing: boolean;
  webhookId: string;
  /** null when the event is no longer in the log. */
  body: string | null;
}

export interface AttemptRecord {
  startedAt: Date;
  durationMs: number;
  responseStatus?: number;
  responseBody?: string;
  error?: string;
}

export interface DeliveryState {
  status: 'pending' | 'succeeded' | 'failed';
  nextAttemptAt?: Date;
}

interface PendingOutcome {
  delivery: ClaimedDelivery;
  attempt: AttemptRecord;
  outcome: DeliveryState;
}

/**
 * Outcomes are written one statement at a time: those that come in meanwhile, or within 5 ms of
 * the first, go in the next. No slot waits for it (the dispatcher frees a slot once the answer
 * is in), so the wait costs a delivery nothing but its lease a few milliseconds longer.
 */
const OUTCOME_BATCHING: BatchOptions = { maxBatch: 100, maxInFlight: 1, lingerMs: 5 };

/**
 * A CTE that makes its statement's own (implicit) transaction commit without waiting for the
 * WAL flush; the statement must reference `async_commit`. For webhook bookkeeping whose loss in
 * a Postgres crash can only cause a resend, never a lost delivery: leases and outcomes. It saves
 * a flush per statement and the round trips of BEGIN, SET LOCAL and COMMIT.
 */
const ASYNC_COMMIT = `async_commit AS (SELECT set_config('synchronous_commit', 'off', true))`;

/** The payload `{id, seq, type, created_at, conversation_id, data}`, built where the data is. */
const EVENT_BODY_SQL = `json_build_object('id', 'evt_' || ev.seq, 'seq', ev.seq, 'type', ev.type,
  'created_at', ${isoTimestampSql('ev.created_at')}, 'conversation_id', ev.conversation_id,
  'data', ev.data)::text`;

/**
 * The delivery rows in Postgres are the truth about what must be sent; this is every statement
 * that moves them. The fan-out turns numbered events into deliveries behind a cursor, and claims
 * hand due deliveries to a sender under a lease, so neither a crash nor a Redis outage loses one.
 */
@Injectable()
export class WebhookDeliveryLedger {
  private readonly outcomes = new Batcher<PendingOutcome, void>(
    (batch) => this.writeOutcomes(batch),
    OUTCOME_BATCHING,
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventLog: EventLog,
  ) {}

  /**
   * Turns up to `batch` events after the cursor into deliveries, each matched against the
   * endpoints' versions valid when the event was made, and advances the cursor in the same
   * transaction. Returns how many events it covered; 0 when none, or another worker fans out.
   */
  async fanOut(batch: number): Promise<number> {
    const [probe] = await this.dataSource.query(
      `SELECT (SELECT last_seq FROM event_sequence) AS numbered,
              (SELECT last_seq FROM webhook_dispatch_cursor) AS cursor,
              EXISTS (SELECT 1 FROM webhook_endpoint_versions WHERE active) AS listened`,
    );
    const behind = Number(probe.numbered) - Number(probe.cursor);
    if (behind <= 0) return 0;
    if (!probe.listened) {
      // No version of any endpoint is active, so no event can match one: skip the join over
      // the events (most of a worker's fan-out cost when nobody subscribes).
      await this.dataSource.query(
        `UPDATE webhook_dispatch_cursor SET last_seq = GREATEST(last_seq, $1)`,
        [probe.numbered],
      );
      return Math.min(behind, batch);
    }
    return this.dataSource.transaction(async (manager) => {
      const [cursor] = await manager.query(
        `SELECT last_seq FROM webhook_dispatch_cursor FOR UPDATE SKIP LOCKED`,
      );
      if (!cursor) return 0;
      const from = Number(cursor.last_seq);
      const [sequence] = await manager.query(`SELECT last_seq FROM event_sequence`);
      const upTo = Math.min(Number(sequence.last_seq), from + batch);
      if (upTo <= from) return 0;
      await manager.query(
        `INSERT INTO webhook_deliveries (endpoint_id, origin, event_id, seq, type)
         SELECT version.endpoint_id, 'event', ev.id, ev.seq, ev.type
           FROM events ev
           JOIN LATERAL (
             SELECT DISTINCT ON (v.endpoint_id) v.endpoint_id, v.active, v.event_types
               FROM webhook_endpoint_versions v
              WHERE v.valid_from <= ev.created_at
              ORDER BY v.endpoint_id, v.valid_from DESC, v.id DESC) AS version ON true
          WHERE ev.seq > $1 AND ev.seq <= $2 AND version.active
            AND (version.event_types IS NULL OR ev.type = ANY (version.event_types))
          ORDER BY ev.seq
         ON CONFLICT (endpoint_id, event_id) WHERE origin = 'event' DO NOTHING`,
        [from, upTo],
      );
      await manager.query(`UPDATE webhook_dispatch_cursor SET last_seq = $1`, [upTo]);
      return upTo - from;
    });
  }

  /**
   * Leases up to `limit` due deliveries of enabled endpoints. An endpoint gets at most
   * `endpointCap` deliveries in flight (an ordered one: one, and only its lowest pending seq), so
   * a slow endpoint holds a few slots, never all of them.
   */
  async claimDue(limit: number, endpointCap: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    // A lease lost in a Postgres crash only makes the delivery claimable again (see
    // ASYNC_COMMIT). An UPDATE through query() answers [rows, affected count].
    const [rows] = await this.dataSource.query(
      `WITH ${ASYNC_COMMIT}, endpoint AS (
         SELECT e.id, e.ordered,
                CASE WHEN e.ordered THEN 1 ELSE $2 END - (
                  SELECT count(*) FROM webhook_deliveries b
                   WHERE b.endpoint_id = e.id AND b.status = 'pending'
                     AND b.leased_until IS NOT NULL AND b.leased_until > now()) AS free
           FROM webhook_endpoints e
          WHERE e.status = 'enabled' AND e.deleted_at IS NULL),
       -- Per endpoint, so that one endpoint's backlog can never crowd out the others.
       candidate AS (
         SELECT due.id, due.endpoint_id, due.event_id, due.next_attempt_at
           FROM endpoint
           CROSS JOIN LATERAL (
             SELECT d.id, d.endpoint_id, d.event_id, d.next_attempt_at
               FROM webhook_deliveries d
              WHERE d.endpoint_id = endpoint.id AND d.status = 'pending'
                AND d.next_attempt_at <= now()
                AND (d.leased_until IS NULL OR d.leased_until <= now())
                AND (NOT endpoint.ordered OR d.seq = (
                      SELECT min(p.seq) FROM webhook_deliveries p
                       WHERE p.endpoint_id = endpoint.id AND p.status = 'pending'))
              ORDER BY d.next_attempt_at
              LIMIT GREATEST(endpoint.free, 0)) AS due),
       picked AS (
         SELECT candidate.* FROM candidate, async_commit
          ORDER BY candidate.next_attempt_at LIMIT $1)
       UPDATE webhook_deliveries d
          SET leased_until = now() + $3 * interval '1 millisecond',
              attempt_count = d.attempt_count + 1, round_attempts = d.round_attempts + 1,
              updated_at = now()
         FROM picked JOIN webhook_endpoints e ON e.id = picked.endpoint_id
         LEFT JOIN events ev ON ev.id = picked.event_id
        WHERE d.id = picked.id AND d.status = 'pending'
          AND (d.leased_until IS NULL OR d.leased_until <= now())
       RETURNING d.id, d.endpoint_id, d.origin, d.attempt_count, d.round_attempts, e.url,
                 e.secret, CASE WHEN e.previous_secret_expires_at > now()
                                THEN e.previous_secret END AS previous_secret,
                 e.rate_limit_per_second, e.failing_since IS NOT NULL AS failing,
                 COALESCE(d.payload ->> 'id', 'evt_' || ev.seq) AS webhook_id,
                 COALESCE(d.payload::text, CASE WHEN ev.id IS NOT NULL THEN ${EVENT_BODY_SQL} END)
                   AS body`,
      [limit, endpointCap, leaseMs],
    );
    return (rows as Record<string, any>[]).map((row) => ({
      id: row.id,
      endpointId: row.endpoint_id,
      origin: row.origin,
      attempt: row.attempt_count,
      roundAttempts: row.round_attempts,
      url: row.url,
      secrets: row.previous_secret ? [row.secret, row.previous_secret] : [row.secret],
      rateLimitPerSecond: row.rate_limit_per_second,
      endpointFailing: row.failing,
      webhookId: row.webhook_id,
      body: row.body,
    }));
  }

  /** Gives a claimed delivery back untried (rate limited): the try does not count. */
  async release(delivery: ClaimedDelivery, notBefore: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries
          SET leased_until = NULL, next_attempt_at = $3, attempt_count = attempt_count - 1,
              round_attempts = round_attempts - 1
        WHERE id = $1 AND attempt_count = $2`,
      [delivery.id, delivery.attempt, notBefore],
    );
  }

  /**
   * Keeps the try and the delivery's new state. Tries finishing together are written in one
   * statement (see writeOutcomes); each caller still waits for its own row to be written.
   */
  recordAttempt(
    delivery: ClaimedDelivery,
    attempt: AttemptRecord,
    outcome: DeliveryState,
  ): Promise<void> {
    return this.outcomes.submit({ delivery, attempt, outcome });
  }

  /**
   * One statement for a batch of tries: the attempt rows and the deliveries' new states. Guarded
   * by the attempt number: a worker whose lease ran out (and whose delivery another worker took
   * over) changes nothing. Should Postgres crash and lose the last few outcomes, those
   * deliveries are simply sent again (same webhook-id), which at-least-once already allows.
   */
  private async writeOutcomes(batch: PendingOutcome[]): Promise<void[]> {
    const column = <T>(pick: (item: PendingOutcome) => T) => batch.map(pick);
    await this.dataSource.query(
      `WITH ${ASYNC_COMMIT}, outcome AS (
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[],
                                $6::text[], $7::text[], $8::text[], $9::timestamptz[])
                  AS t(id, attempt, started_at, duration_ms, response_status, response_body,
                       error, status, next_attempt_at)),
         attempt AS (
           INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at,
                  duration_ms, response_status, response_body, error)
           SELECT id, attempt, started_at, duration_ms, response_status, response_body, error
             FROM outcome
           ON CONFLICT DO NOTHING)
         UPDATE webhook_deliveries d
            SET status = outcome.status,
                next_attempt_at = COALESCE(outcome.next_attempt_at, d.next_attempt_at),
                leased_until = NULL, last_response_status = outcome.response_status,
                last_error = outcome.error, updated_at = now()
           FROM outcome, async_commit
          WHERE d.id = outcome.id AND d.attempt_count = outcome.attempt`,
      [
        column((item) => item.delivery.id),
        column((item) => item.delivery.attempt),
        column((item) => item.attempt.startedAt),
        column((item) => item.attempt.durationMs),
        column((item) => item.attempt.responseStatus ?? null),
        column((item) => item.attempt.responseBody ?? null),
        column((item) => item.attempt.error ?? null),
        column((item) => item.outcome.status),
        column((item) => item.outcome.nextAttemptAt ?? null),
      ],
    );
    return batch.map(() => undefined);
  }

  async markEndpointHealthy(endpointId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_endpoints SET failing_since = NULL
        WHERE id = $1 AND failing_since IS NOT NULL`,
      [endpointId],
    );
  }

  /** Notes a failure; returns since when the endpoint has been failing without a success. */
  async markEndpointFailing(endpointId: string): Promise<Date> {
    const [[row]] = await this.dataSource.query(
      `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, now())
        WHERE id = $1 RETURNING failing_since`,
      [endpointId],
    );
    return row.failing_since as Date;
  }

  /**
   * Stops sending to an endpoint and says so in the event log (`webhook_endpoint.disabled`).
   * Its pending deliveries wait, and go out when it is enabled again.
   */
  async disableEndpoint(endpointId: string, reason: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [changed] = await manager.query(
        `UPDATE webhook_endpoints
            SET status = 'disabled', disabled_reason = $2, updated_at = now()
          WHERE id = $1 AND status = 'enabled' AND deleted_at IS NULL
         RETURNING id`,
        [endpointId, reason],
      );
      if (changed.length === 0) return false;
      const disabled = await manager.findOneByOrFail(WebhookEndpoint, { id: endpointId });
      await recordEndpointVersion(manager, disabled);
      await this.eventLog.append(manager, {
        type: 'webhook_endpoint.disabled',
        conversationId: null,
        data: mapWebhookEndpoint(disabled),
      });
      return true;
    });
  }
}

/**
 * Writes what an endpoint subscribes to from now on, in the transaction of the change: the
 * fan-out matches each event against the version valid when the event was made.
 */
export async function recordEndpointVersion(
  manager: EntityManager,
  endpoint: WebhookEndpoint,
): Promise<void> {
  await manager.query(
    `INSERT INTO webhook_endpoint_versions (endpoint_id, event_types, active) VALUES ($1, $2, $3)`,
    [endpoint.id, endpoint.eventTypes, endpoint.status === 'enabled' && !endpoint.deletedAt],
  );
}
