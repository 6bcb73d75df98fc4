import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure and retention find a removed event's deliveries by event id, which no index led with:
 * they walked all 500 000 deliveries once per batch. (The sha256 lookup before bytes go has its
 * index from the erasure-at-size migration.)
 */
export class RemovalLookupIndexes1765152000000 implements MigrationInterface {
  name = 'RemovalLookupIndexes1765152000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_event_idx`);
  }
}
