import { MigrationInterface, QueryRunner } from 'typeorm';

export class HeldReceipts1764460800000 implements MigrationInterface {
  name = 'HeldReceipts1764460800000';

  /**
   * A receipt can overtake the send it reports on (the provider is fast, our commit slow). It is
   * kept `held` until the message's outcome is recorded, then applied. The existing indexes find
   * held receipts: by message (message_receipts_message_idx) and, before they are matched, by
   * provider id (message_receipts_orphan_idx).
   */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE message_receipts ADD COLUMN held boolean NOT NULL DEFAULT false`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE message_receipts DROP COLUMN held`);
  }
}
