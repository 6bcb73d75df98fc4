import { MigrationInterface, QueryRunner } from 'typeorm';

const TYPES_BEFORE = `'message.created', 'message.updated', 'conversation.created',
  'conversation.updated', 'customer.created', 'webhook_endpoint.disabled'`;

export class DataLifecycle1764720000000 implements MigrationInterface {
  name = 'DataLifecycle1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Erasing a customer leaves this one event about them (with nothing but their id).
    await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT events_type_check`);
    await queryRunner.query(
      `ALTER TABLE events ADD CONSTRAINT events_type_check
         CHECK (type IN (${TYPES_BEFORE}, 'customer.erased'))`,
    );
    // How far retention has pruned the log: readers resuming from before it are told (410), and
    // it only moves forward, unlike min(seq), which erasing a customer's events also raises.
    await queryRunner.query(`
      CREATE TABLE event_retention (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        pruned_through bigint NOT NULL
      )`);
    await queryRunner.query(
      `INSERT INTO event_retention (singleton, pruned_through) VALUES (true, 0)`,
    );
    // Erasure finds a customer's customer.created event without reading the whole log.
    await queryRunner.query(
      `CREATE INDEX events_customer_created ON events ((data ->> 'id'))
         WHERE type = 'customer.created'`,
    );
    // Provider ids of inbound messages that were pruned or erased: a provider's retry days later
    // must still find the message "already stored" (WhatsApp retries for up to 7 days). Kept as
    // sha256 digests: an email's Message-ID can name its sender.
    await queryRunner.query(`
      CREATE TABLE inbound_message_keys (
        channel text NOT NULL,
        provider_message_digest bytea NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (channel, provider_message_digest)
      )`);
    await queryRunner.query(
      `CREATE INDEX inbound_message_keys_received_idx ON inbound_message_keys (received_at)`,
    );
    // Retention walks idempotency records oldest first; removing messages takes theirs along.
    await queryRunner.query(
      `CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX idempotency_keys_message_idx ON idempotency_keys (message_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX idempotency_keys_message_idx`);
    await queryRunner.query(`DROP INDEX idempotency_keys_created_idx`);
    await queryRunner.query(`DROP TABLE inbound_message_keys`);
    await queryRunner.query(`DROP INDEX events_customer_created`);
    await queryRunner.query(`DROP TABLE event_retention`);
    await queryRunner.query(`DELETE FROM events WHERE type = 'customer.erased'`);
    await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT events_type_check`);
    await queryRunner.query(
      `ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (${TYPES_BEFORE}))`,
    );
  }
}
