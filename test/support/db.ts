import { Pool } from 'pg';
import { TEST_DATABASE_URL } from './test-env';

let pool: Pool | undefined;

/** Direct reads of the test database, to assert on rows rather than on API answers alone. */
export async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  pool ??= new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  const result = await pool.query(text, params);
  return result.rows as T[];
}

/** Whether every committed event is readable: none lies past the seq the relay has published. */
export async function everyEventPublished(): Promise<boolean> {
  const past = await sql(
    `SELECT 1 FROM events WHERE seq > (SELECT last_seq FROM event_sequence) LIMIT 1`,
  );
  return past.length === 0;
}

export async function closeDb(): Promise<void> {
  await pool?.end();
  pool = undefined;
}
