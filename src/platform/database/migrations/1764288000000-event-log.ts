import { MigrationInterface, QueryRunner } from 'typeorm';

export class EventLog1764288000000 implements MigrationInterface {
  name = 'EventLog1764288000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // No foreign keys: the log is append-only history and must stay cheap to append to.
    await queryRunner.query(`
      CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        seq bigint,
        type text NOT NULL CHECK (type IN ('message.created', 'message.updated',
          'conversation.created', 'conversation.updated', 'customer.created')),
        conversation_id uuid,
        previous_status text,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX events_seq ON events (seq)`);
    // What the sequencer still has to number: small, because it numbers every ~100 ms.
    await queryRunner.query(`CREATE INDEX events_unnumbered ON events (id) WHERE seq IS NULL`);
    await queryRunner.query(
      `CREATE INDEX events_conversation_seq ON events (conversation_id, seq)
         WHERE seq IS NOT NULL`,
    );
    // The last seq handed out. Its one row is also the sequencer's mutex (FOR UPDATE SKIP LOCKED),
    // and it survives any pruning of old events, so a seq is never handed out twice.
    await queryRunner.query(`
      CREATE TABLE event_sequence (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_seq bigint NOT NULL
      )`);
    await queryRunner.query(`INSERT INTO event_sequence (singleton, last_seq) VALUES (true, 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event_sequence`);
    await queryRunner.query(`DROP TABLE events`);
  }
}
