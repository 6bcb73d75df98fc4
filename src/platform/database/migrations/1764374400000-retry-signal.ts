import { MigrationInterface, QueryRunner } from 'typeorm';

export class RetrySignal1764374400000 implements MigrationInterface {
  name = 'RetrySignal1764374400000';

  /**
   * Lets a single-statement change abort itself, undoing everything it did, when it finds that
   * a concurrent transaction took a row it meant to create (a new customer's phone, a
   * conversation's one open slot). serialization_failure is the code clients already treat as
   * "run the same thing again": the next run's snapshot sees the other transaction's row.
   */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION retry_statement(reason text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = 'serialization_failure', MESSAGE = reason;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION retry_statement(text)`);
  }
}
