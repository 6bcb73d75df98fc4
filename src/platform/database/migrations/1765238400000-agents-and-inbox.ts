import { MigrationInterface, QueryRunner } from 'typeorm';

/** The list's order (conversation-list.sql.ts): a conversation without messages by its opening. */
const ACTIVITY = 'COALESCE(last_message_at, created_at)';

/**
 * Agents who sign in to the inbox, their sessions (only a token's sha256 is kept), failed
 * sign-ins counted per email, and what the inbox lists about a conversation: its assignee, its
 * unread inbound messages and its last message (read through last_message_id, so a status
 * change of that message needs no write here).
 */
export class AgentsAndInbox1765238400000 implements MigrationInterface {
  name = 'AgentsAndInbox1765238400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agents (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'agent')),
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX agents_email_key ON agents (email)`);
    await queryRunner.query(`
      CREATE TABLE agent_sessions (
        token_hash bytea PRIMARY KEY,
        agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX agent_sessions_agent_idx ON agent_sessions (agent_id)`);
    await queryRunner.query(`
      CREATE TABLE sign_in_failures (
        email_digest bytea PRIMARY KEY,
        failures int NOT NULL,
        window_started_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX sign_in_failures_window_idx ON sign_in_failures (window_started_at)`,
    );

    await queryRunner.query(`
      ALTER TABLE conversations
        ADD COLUMN assignee_id uuid REFERENCES agents (id) ON DELETE SET NULL,
        ADD COLUMN unread_count int NOT NULL DEFAULT 0,
        ADD COLUMN last_message_id uuid`);
    // Existing conversations start read: nobody can have read them before there were agents.
    await queryRunner.query(`
      UPDATE conversations SET last_message_id = (
        SELECT message.id FROM messages message
         WHERE message.conversation_id = conversations.id
         ORDER BY message.id DESC LIMIT 1)
       WHERE last_message_at IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX conversations_activity_idx ON conversations ((${ACTIVITY}), id)`,
    );
    // The inbox always asks for open or closed ones, of everyone, of one assignee or of nobody;
    // API clients may leave the status out. `assignee_id IS NULL` does not let Postgres read an
    // index on (assignee_id, ...) in order, so the unassigned have a partial index of their own.
    // A query without status but with an assignee reads that assignee's rows and sorts them.
    await queryRunner.query(
      `CREATE INDEX conversations_status_activity_idx
         ON conversations (status, (${ACTIVITY}), id)`,
    );
    await queryRunner.query(
      `CREATE INDEX conversations_assignee_activity_idx
         ON conversations (assignee_id, status, (${ACTIVITY}), id) WHERE assignee_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX conversations_unassigned_activity_idx
         ON conversations (status, (${ACTIVITY}), id) WHERE assignee_id IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX conversations_unassigned_activity_idx`);
    await queryRunner.query(`DROP INDEX conversations_assignee_activity_idx`);
    await queryRunner.query(`DROP INDEX conversations_status_activity_idx`);
    await queryRunner.query(`DROP INDEX conversations_activity_idx`);
    await queryRunner.query(`
      ALTER TABLE conversations
        DROP COLUMN last_message_id, DROP COLUMN unread_count, DROP COLUMN assignee_id`);
    await queryRunner.query(`DROP TABLE sign_in_failures`);
    await queryRunner.query(`DROP TABLE agent_sessions`);
    await queryRunner.query(`DROP TABLE agents`);
  }
}
