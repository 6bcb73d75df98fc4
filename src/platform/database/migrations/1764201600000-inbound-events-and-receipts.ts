import { MigrationInterface, QueryRunner } from 'typeorm';

export class InboundEventsAndReceipts1764201600000 implements MigrationInterface {
  name = 'InboundEventsAndReceipts1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE inbound_events (
        id uuid PRIMARY KEY,
        provider text NOT NULL CHECK (provider IN ('whatsapp', 'sms', 'sms_status', 'email', 'web')),
        event_key text NOT NULL,
        content_type text NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        payload text NOT NULL,
        status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'failed')),
        error text,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz
      )`);
    // A provider's redelivery of the same bytes maps to the same event.
    await queryRunner.query(
      `CREATE UNIQUE INDEX inbound_events_provider_event_key ON inbound_events (provider, event_key)`,
    );
    // Replay scans only what still needs processing.
    await queryRunner.query(
      `CREATE INDEX inbound_events_unprocessed_idx ON inbound_events (created_at)
         WHERE status <> 'processed'`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_events_status_idx ON inbound_events (status, id)`,
    );

    await queryRunner.query(`
      CREATE TABLE message_receipts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id uuid REFERENCES messages (id),
        channel text NOT NULL CHECK (channel IN ('whatsapp', 'sms', 'email', 'web')),
        provider_message_id text NOT NULL,
        provider_status text NOT NULL,
        status text CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
        provider_timestamp timestamptz,
        error_code text,
        error text,
        status_changed boolean NOT NULL,
        source_key text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Re-processing the same webhook (a replay) records each receipt once.
    await queryRunner.query(
      `CREATE UNIQUE INDEX message_receipts_source_key ON message_receipts (source_key)`,
    );
    await queryRunner.query(
      `CREATE INDEX message_receipts_message_idx ON message_receipts (message_id, id)`,
    );
    // Receipts that arrived before their message had a provider id stay findable by that id.
    await queryRunner.query(
      `CREATE INDEX message_receipts_orphan_idx ON message_receipts (channel, provider_message_id)
         WHERE message_id IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE message_receipts`);
    await queryRunner.query(`DROP TABLE inbound_events`);
  }
}
