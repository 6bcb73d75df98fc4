import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sender a webhook was routed to. A web webhook names its sender only in its URL, which the
 * raw event does not keep otherwise, so a replay reads it from here; the other channels are
 * routed again from their payload. No foreign key: a deleted sender leaves its events readable.
 */
export class InboundEventSender1765584000000 implements MigrationInterface {
  name = 'InboundEventSender1765584000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inbound_events ADD COLUMN sender_id uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inbound_events DROP COLUMN sender_id`);
  }
}
