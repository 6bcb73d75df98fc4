import { MigrationInterface, QueryRunner } from 'typeorm';

export class OutgoingWebhooks1764547200000 implements MigrationInterface {
  name = 'OutgoingWebhooks1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT events_type_check`);
    await queryRunner.query(`
      ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN ('message.created',
        'message.updated', 'conversation.created', 'conversation.updated', 'customer.created',
        'webhook_endpoint.disabled'))`);
    // Deliveries are created in SQL by the fan-out; time-ordered ids keep them pageable like the
    // rows the application creates (UUIDv7: 48 bits of milliseconds, then random bits).
    await queryRunner.query(`
      CREATE FUNCTION webhook_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
        SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
          PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)
          FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
      $$`);
    await queryRunner.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        url text NOT NULL,
        description text,
        event_types text[],
        ordered boolean NOT NULL DEFAULT false,
        rate_limit_per_second integer CHECK (rate_limit_per_second > 0),
        metadata jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
        disabled_reason text,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // What an endpoint subscribed to at each moment, so that an event is matched against the
    // endpoints as they stood when it was made, however late the fan-out reaches it.
    await queryRunner.query(`
      CREATE TABLE webhook_endpoint_versions (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        valid_from timestamptz NOT NULL DEFAULT now(),
        event_types text[],
        active boolean NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_endpoint_versions_endpoint ON webhook_endpoint_versions
         (endpoint_id, valid_from DESC, id DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT webhook_uuid_v7(),
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        origin text NOT NULL CHECK (origin IN ('event', 'replay', 'test')),
        event_id bigint,
        seq bigint,
        type text NOT NULL,
        payload jsonb,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempt_count integer NOT NULL DEFAULT 0,
        round_attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        leased_until timestamptz,
        last_response_status integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (origin = 'test' OR event_id IS NOT NULL)
      )`);
    // The fan-out's idempotency rule: one delivery per event and endpoint (replays add more).
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (endpoint_id, event_id)
         WHERE origin = 'event'`,
    );
    // The claim: each endpoint's due deliveries, and how many it has in flight.
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
         WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (endpoint_id)
         WHERE status = 'pending' AND leased_until IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_pending_seq ON webhook_deliveries (endpoint_id, seq)
         WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id)`,
    );
    await queryRunner.query(`
      CREATE TABLE webhook_delivery_attempts (
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        response_status integer,
        response_body text,
        error text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
    // The last seq the fan-out has turned into deliveries. Advanced in the transaction that
    // inserts them, so a crash between the two cannot lose or double an event. Its row is also
    // the fan-out's mutex across workers (FOR UPDATE SKIP LOCKED). Starts at the current end of
    // the log: there were no endpoints before.
    await queryRunner.query(`
      CREATE TABLE webhook_dispatch_cursor (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_seq bigint NOT NULL
      )`);
    await queryRunner.query(
      `INSERT INTO webhook_dispatch_cursor (singleton, last_seq)
         SELECT true, last_seq FROM event_sequence`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_dispatch_cursor`);
    await queryRunner.query(`DROP TABLE webhook_delivery_attempts`);
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhook_endpoint_versions`);
    await queryRunner.query(`DROP TABLE webhook_endpoints`);
    await queryRunner.query(`DROP FUNCTION webhook_uuid_v7()`);
    await queryRunner.query(`DELETE FROM events WHERE type = 'webhook_endpoint.disabled'`);
    await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT events_type_check`);
    await queryRunner.query(`
      ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN ('message.created',
        'message.updated', 'conversation.created', 'conversation.updated', 'customer.created'))`);
  }
}
