import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every append takes a shared advisory lock before it draws its seq, held until its transaction
 * ends; the EventSequencer waits for holders of that lock only (see event-sequencer.ts), instead
 * of every lock on `events` but reads, which VACUUM, ANALYZE, index builds and retention's
 * deletes also take. It is taken by the seq column's default, so that every way of appending
 * (and processes of the previous release still running) takes it.
 *
 * Retention walks the deliveries it may prune, those no longer pending, by time-ordered id.
 */
export class AppendLockAndSettledDeliveries1764979200000 implements MigrationInterface {
  name = 'AppendLockAndSettledDeliveries1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The key pair must stay equal to APPEND_LOCK_KEY in event-sequencer.ts.
    await queryRunner.query(`
      CREATE FUNCTION events_next_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(1702260340, 1);
        RETURN nextval('events_seq_source');
      END $$`);
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN seq SET DEFAULT events_next_seq()`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_settled ON webhook_deliveries (id)
         WHERE status <> 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_settled`);
    await queryRunner.query(
      `ALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq_source')`,
    );
    await queryRunner.query(`DROP FUNCTION events_next_seq()`);
  }
}
