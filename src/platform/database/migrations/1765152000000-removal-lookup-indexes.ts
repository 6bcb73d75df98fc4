import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure and retention find rows by keys no index led with: a removed event's deliveries by
 * event id, and whether any file record still names a sha256 before its bytes go. Both walked
 * the whole table (500 000 deliveries, every attachment) once per batch.
 */
export class RemovalLookupIndexes1765152000000 implements MigrationInterface {
  name = 'RemovalLookupIndexes1765152000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX attachments_sha256_idx ON attachments (sha256) WHERE sha256 IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX attachments_sha256_idx`);
    await queryRunner.query(`DROP INDEX webhook_deliveries_event_idx`);
  }
}
