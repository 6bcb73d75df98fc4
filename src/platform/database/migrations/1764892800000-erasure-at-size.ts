import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure at size and content-addressed bytes that cannot be lost:
 * - inbound_events.subject_keys: digests of whom and what a raw webhook is about (sender
 *   identities, provider message ids), so erasure finds a customer's raw webhooks through a GIN
 *   index. NULL for rows written before this migration and for webhooks that could not be fully
 *   read: erasure still finds those by scanning their text, through a partial index that holds
 *   only them (older rows leave it as retention prunes them).
 * - attachment_blobs: one row per kept sha256, the lock that saving and removing bytes share.
 *   Existing files are recorded as kept now, so they get the full grace before collection.
 */
export class ErasureAtSize1764892800000 implements MigrationInterface {
  name = 'ErasureAtSize1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inbound_events ADD COLUMN subject_keys text[]`);
    // No pending list: erasure probes the index once per key, and each probe would read the
    // whole list of recent unmerged entries (1 000 probes: seconds on a busy table).
    await queryRunner.query(`
      CREATE INDEX inbound_events_subject_keys_idx ON inbound_events USING gin (subject_keys)
        WITH (fastupdate = off)`);
    await queryRunner.query(
      `CREATE INDEX inbound_events_unkeyed_idx ON inbound_events (id) WHERE subject_keys IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX attachments_sha256_idx ON attachments (sha256)`);
    await queryRunner.query(`
      CREATE TABLE attachment_blobs (
        sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        touched_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX attachment_blobs_touched_idx ON attachment_blobs (touched_at)`,
    );
    await queryRunner.query(`
      INSERT INTO attachment_blobs (sha256, touched_at)
      SELECT DISTINCT sha256, now() FROM attachments WHERE sha256 IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE attachment_blobs`);
    await queryRunner.query(`DROP INDEX attachments_sha256_idx`);
    await queryRunner.query(`DROP INDEX inbound_events_unkeyed_idx`);
    await queryRunner.query(`DROP INDEX inbound_events_subject_keys_idx`);
    await queryRunner.query(`ALTER TABLE inbound_events DROP COLUMN subject_keys`);
  }
}
