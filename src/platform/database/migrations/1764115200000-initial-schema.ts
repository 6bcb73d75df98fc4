import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764115200000 implements MigrationInterface {
  name = 'InitialSchema1764115200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY,
        name text,
        phone text,
        email text,
        external_id text,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT customers_email_lower CHECK (email = lower(email))
      )`);
    // Each identity belongs to one customer; NULLs (not set) never collide.
    await queryRunner.query(`CREATE UNIQUE INDEX customers_phone_key ON customers (phone)`);
    await queryRunner.query(`CREATE UNIQUE INDEX customers_email_key ON customers (email)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX customers_external_id_key ON customers (external_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY,
        customer_id uuid NOT NULL REFERENCES customers (id),
        channel text NOT NULL CHECK (channel IN ('whatsapp', 'sms', 'email', 'web')),
        subject text,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Inbound resolution relies on this: concurrent first messages converge on one conversation.
    await queryRunner.query(
      `CREATE UNIQUE INDEX conversations_one_open_per_channel
         ON conversations (customer_id, channel) WHERE status = 'open'`,
    );
    await queryRunner.query(
      `CREATE INDEX conversations_customer_idx ON conversations (customer_id, id)`,
    );

    await queryRunner.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        conversation_id uuid NOT NULL REFERENCES conversations (id),
        customer_id uuid NOT NULL REFERENCES customers (id),
        direction text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
        channel text NOT NULL CHECK (channel IN ('whatsapp', 'sms', 'email', 'web')),
        body text,
        subject text,
        template jsonb,
        metadata jsonb NOT NULL DEFAULT '{}',
        recipient text,
        priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('high', 'normal', 'low')),
        status text NOT NULL CHECK (status IN ('queued', 'sending', 'retrying', 'sent',
          'delivered', 'read', 'failed', 'expired', 'received')),
        provider_message_id text,
        attempt_count integer NOT NULL DEFAULT 0,
        last_error text,
        next_attempt_at timestamptz,
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        delivered_at timestamptz,
        read_at timestamptz,
        failed_at timestamptz
      )`);
    // Conversation history, newest first, by keyset on the time-ordered id.
    await queryRunner.query(
      `CREATE INDEX messages_conversation_idx ON messages (conversation_id, id)`,
    );
    // Receipts and inbound redeliveries find a message by the provider's id, once per channel.
    await queryRunner.query(
      `CREATE UNIQUE INDEX messages_provider_message_id_key
         ON messages (channel, provider_message_id) WHERE provider_message_id IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX messages_status_idx ON messages (status, id)`);
    // The WhatsApp reply window: the customer's latest inbound message on a channel.
    await queryRunner.query(
      `CREATE INDEX messages_customer_inbound_idx
         ON messages (customer_id, channel, created_at) WHERE direction = 'inbound'`,
    );
    // The outbox sweeper's scan stays small: only messages the worker still owes a send.
    await queryRunner.query(
      `CREATE INDEX messages_pending_idx ON messages (updated_at)
         WHERE status IN ('queued', 'sending', 'retrying')`,
    );

    await queryRunner.query(`
      CREATE TABLE message_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id uuid NOT NULL REFERENCES messages (id),
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('sent', 'transient_error', 'permanent_error')),
        http_status integer,
        error text,
        duration_ms integer NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX message_attempts_message_idx ON message_attempts (message_id, id)`,
    );

    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        message_id uuid NOT NULL REFERENCES messages (id),
        response_status integer NOT NULL,
        response_body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys`);
    await queryRunner.query(`DROP TABLE message_attempts`);
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TABLE conversations`);
    await queryRunner.query(`DROP TABLE customers`);
  }
}
