import { MigrationInterface, QueryRunner } from 'typeorm';
import { ENVIRONMENT_SENDER_IDS } from '../../../shared/environment-senders';

/**
 * Several numbers and accounts per channel. Each channel's environment sender is a row with a
 * fixed id, so every existing conversation gets one (the only write over existing rows: one
 * UPDATE of conversations, about 10 s per million). Open conversations become one per customer,
 * channel and sender. Messages carry their sender from now on; older ones have it through their
 * conversation.
 */
export class Senders1765324800000 implements MigrationInterface {
  name = 'Senders1765324800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE senders (
        id uuid PRIMARY KEY,
        channel text NOT NULL CHECK (channel IN ('whatsapp', 'sms', 'email', 'web')),
        name text NOT NULL,
        source text NOT NULL CHECK (source IN ('api', 'environment')),
        config jsonb NOT NULL DEFAULT '{}',
        sealed_secrets text,
        status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
        is_default boolean NOT NULL DEFAULT false,
        rate_limit_per_second integer CHECK (rate_limit_per_second > 0),
        last_success_at timestamptz,
        last_error text,
        last_error_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX senders_one_default_per_channel ON senders (channel) WHERE is_default`,
    );
    // Inbound routing looks senders up by what the provider names; two senders cannot claim it.
    await queryRunner.query(
      `CREATE UNIQUE INDEX senders_whatsapp_number ON senders ((config->>'phone_number_id'))
         WHERE channel = 'whatsapp' AND source = 'api'`,
    );
    await queryRunner.query(`CREATE INDEX senders_updated_idx ON senders (updated_at)`);
    for (const [channel, id] of Object.entries(ENVIRONMENT_SENDER_IDS)) {
      await queryRunner.query(
        `INSERT INTO senders (id, channel, name, source) VALUES ($1, $2, $3, 'environment')`,
        [id, channel, `${channel} (environment)`],
      );
    }

    await queryRunner.query(`ALTER TABLE conversations ADD COLUMN sender_id uuid`);
    await queryRunner.query(
      `UPDATE conversations SET sender_id = CASE channel
         ${Object.entries(ENVIRONMENT_SENDER_IDS)
           .map(([channel, id]) => `WHEN '${channel}' THEN '${id}'::uuid`)
           .join(' ')} END`,
    );
    await queryRunner.query(`ALTER TABLE conversations ALTER COLUMN sender_id SET NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE conversations ADD CONSTRAINT conversations_sender_fk
         FOREIGN KEY (sender_id) REFERENCES senders (id)`,
    );
    await queryRunner.query(`DROP INDEX conversations_one_open_per_channel`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX conversations_one_open_per_sender
         ON conversations (customer_id, channel, sender_id) WHERE status = 'open'`,
    );
    // The inbox's list of one sender's conversations, newest activity first (the order of
    // conversation-list.sql.ts); DELETE of a sender asks it whether any conversation is left.
    await queryRunner.query(
      `CREATE INDEX conversations_sender_activity_idx
         ON conversations (sender_id, status, (COALESCE(last_message_at, created_at)), id)`,
    );
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN sender_id uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN sender_id`);
    await queryRunner.query(`DROP INDEX conversations_sender_activity_idx`);
    await queryRunner.query(`DROP INDEX conversations_one_open_per_sender`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX conversations_one_open_per_channel
         ON conversations (customer_id, channel) WHERE status = 'open'`,
    );
    await queryRunner.query(`ALTER TABLE conversations DROP COLUMN sender_id`);
    await queryRunner.query(`DROP TABLE senders`);
  }
}
