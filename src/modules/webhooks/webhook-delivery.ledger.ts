import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
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
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventLog: EventLog,
  ) {}

  /**
   * Turns up to `batch` events after the cursor into deliveries, each matched against the
   * endpoints' versions valid when the event was made, and advances the cursor in the same
   * transaction. Returns how many events it covered; 0 when none, or another worker fans out.
   */
  fanOut(batch: number): Promise<number> {
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
    // An UPDATE through TypeORM's query() answers [rows, affected count].
    const [rows] = await this.dataSource.query(
      `WITH due AS (
         SELECT d.id, d.endpoint_id, d.event_id, d.seq, d.next_attempt_at, e.ordered
           FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND (d.leased_until IS NULL OR d.leased_until <= now())
            AND e.status = 'enabled' AND e.deleted_at IS NULL
            AND (NOT e.ordered OR d.seq = (
                  SELECT min(p.seq) FROM webhook_deliveries p
                   WHERE p.endpoint_id = d.endpoint_id AND p.status = 'pending'))
          ORDER BY d.next_attempt_at LIMIT 1000),
       busy AS (
         SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
          WHERE status = 'pending' AND leased_until > now()
            AND endpoint_id IN (SELECT endpoint_id FROM due)
          GROUP BY endpoint_id),
       ranked AS (
         SELECT due.*, row_number() OVER (PARTITION BY due.endpoint_id
                                          ORDER BY due.next_attempt_at, due.seq) AS rank
           FROM due),
       picked AS (
         SELECT ranked.id, ranked.endpoint_id, ranked.event_id
           FROM ranked LEFT JOIN busy USING (endpoint_id)
          WHERE ranked.rank + COALESCE(busy.n, 0) <= CASE WHEN ranked.ordered THEN 1 ELSE $2 END
          ORDER BY ranked.next_attempt_at LIMIT $1)
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
   * Keeps the try and the delivery's new state in one statement. Guarded by the attempt number:
   * a worker whose lease ran out (and whose delivery another worker took over) changes nothing.
   */
  async recordAttempt(
    delivery: ClaimedDelivery,
    attempt: AttemptRecord,
    outcome: { status: 'pending' | 'succeeded' | 'failed'; nextAttemptAt?: Date; error?: string },
  ): Promise<void> {
    await this.dataSource.query(
      `WITH attempt AS (
         INSERT INTO webhook_delivery_attempts
                (delivery_id, attempt, started_at, duration_ms, response_status, response_body, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING)
       UPDATE webhook_deliveries
          SET status = $8, next_attempt_at = COALESCE($9, next_attempt_at), leased_until = NULL,
              last_response_status = $5, last_error = $10, updated_at = now()
        WHERE id = $1 AND attempt_count = $2`,
      [
        delivery.id,
        delivery.attempt,
        attempt.startedAt,
        attempt.durationMs,
        attempt.responseStatus ?? null,
        attempt.responseBody ?? null,
        attempt.error ?? null,
        outcome.status,
        outcome.nextAttemptAt ?? null,
        outcome.error ?? null,
      ],
    );
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
