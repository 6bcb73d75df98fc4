import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events take their seq when they are appended, from a sequence, instead of a second write by
 * the EventSequencer after they commit; the sequencer now only publishes how far the log may be
 * read (event_sequence.last_seq). See event-sequencer.ts.
 */
export class EventSeqAtAppend1764806400000 implements MigrationInterface {
  name = 'EventSeqAtAppend1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Appends wait until the log has its new shape.
    await queryRunner.query(`LOCK TABLE events, event_sequence IN ACCESS EXCLUSIVE MODE`);
    // What the old sequencer had not numbered yet, numbered its way, then published.
    await queryRunner.query(`
      WITH base AS (SELECT last_seq FROM event_sequence),
           numbered AS (
             SELECT events.id, base.last_seq + row_number() OVER (ORDER BY events.id) AS seq
               FROM events, base WHERE events.seq IS NULL)
      UPDATE events SET seq = numbered.seq FROM numbered WHERE events.id = numbered.id`);
    await queryRunner.query(`
      UPDATE event_sequence
         SET last_seq = GREATEST(last_seq, COALESCE((SELECT max(seq) FROM events), 0))`);
    // CACHE 1: a backend must not hold seqs drawn ahead of time, or the publisher's reading of
    // the last drawn seq would not cover them.
    await queryRunner.query(
      `CREATE SEQUENCE events_seq_source AS bigint CACHE 1 OWNED BY events.seq`,
    );
    await queryRunner.query(`
      SELECT setval('events_seq_source', last_seq) FROM event_sequence WHERE last_seq > 0`);
    await queryRunner.query(
      `ALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq_source')`,
    );
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN seq SET NOT NULL`);
    await queryRunner.query(`DROP INDEX events_unnumbered`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE events, event_sequence IN ACCESS EXCLUSIVE MODE`);
    await queryRunner.query(`CREATE INDEX events_unnumbered ON events (id) WHERE seq IS NULL`);
    // Appended but not yet published: the old sequencer numbers them again.
    await queryRunner.query(
      `UPDATE events SET seq = NULL WHERE seq > (SELECT last_seq FROM event_sequence)`,
    );
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN seq DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN seq DROP DEFAULT`);
    await queryRunner.query(`DROP SEQUENCE events_seq_source`);
  }
}
