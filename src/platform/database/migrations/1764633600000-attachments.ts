import { MigrationInterface, QueryRunner } from 'typeorm';

export class Attachments1764633600000 implements MigrationInterface {
  name = 'Attachments1764633600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE attachments (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('pending', 'stored', 'failed')),
        content_type text NOT NULL,
        filename text,
        size bigint CHECK (size >= 0),
        sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        error text,
        source jsonb,
        fetch_attempts int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        stored_at timestamptz,
        CHECK (status <> 'stored' OR (sha256 IS NOT NULL AND size IS NOT NULL))
      )`);
    // The media fetcher's sweep looks for pending files only.
    await queryRunner.query(
      `CREATE INDEX attachments_pending_idx ON attachments (created_at) WHERE status = 'pending'`,
    );
    // One upload may be sent in many messages, so messages and files are linked, not nested.
    await queryRunner.query(`
      CREATE TABLE message_attachments (
        message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        position int NOT NULL,
        attachment_id uuid NOT NULL REFERENCES attachments (id),
        PRIMARY KEY (message_id, position)
      )`);
    await queryRunner.query(
      `CREATE INDEX message_attachments_attachment_idx ON message_attachments (attachment_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE message_attachments`);
    await queryRunner.query(`DROP TABLE attachments`);
  }
}
