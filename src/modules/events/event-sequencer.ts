import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * Gives committed events their public `seq`, in batches, one process at a time.
 *
 * Why not a sequence default at append time: a writer takes seq 41, a second writer takes 42 and
 * commits first; a reader that has seen 42 and asks for `after=42` never sees 41. Numbering only
 * what is already committed, under one lock, makes the numbered part of the log a gap-free prefix
 * 1..N that only grows at its end: a reader's `after` can never pass an event that shows up later.
 * Writers never wait on each other for it (an append is a plain INSERT); the price is a second
 * write per event and up to one relay tick of delay before an event is readable.
 */
@Injectable()
export class EventSequencer {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Numbers up to `batch` pending events; 0 when none are pending or another process numbers. */
  async numberPending(batch = 1000): Promise<number> {
    const [probe] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM events WHERE seq IS NULL) AS pending`,
    );
    if (!probe.pending) return 0;
    return this.dataSource.transaction(async (manager) => {
      const turn = await manager.query(`SELECT 1 FROM event_sequence FOR UPDATE SKIP LOCKED`);
      if (turn.length === 0) return 0;
      // A new statement, so a new snapshot taken after the lock: it sees every numbering that
      // committed before ours, and every append that committed so far.
      const [row] = await manager.query(
        `WITH base AS (SELECT last_seq FROM event_sequence),
              numbered AS (
                SELECT pending.id, base.last_seq + row_number() OVER (ORDER BY pending.id) AS seq
                  FROM (SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT $1) AS pending,
                       base),
              applied AS (
                UPDATE events SET seq = numbered.seq FROM numbered
                 WHERE events.id = numbered.id
                RETURNING events.seq)
         UPDATE event_sequence
            SET last_seq = COALESCE((SELECT max(seq) FROM applied), last_seq)
         RETURNING (SELECT count(*) FROM applied)::int AS numbered`,
        [batch],
      );
      return row.numbered as number;
    });
  }
}
