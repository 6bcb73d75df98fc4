import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EVENTS_PUBLISHED_CHANNEL } from './events-published.listener';

/**
 * The advisory lock every append holds (two int4 keys, as pg_locks shows them: classid, objid).
 * Must stay equal to the one in migration 1764979200000.
 */
const APPEND_LOCK_KEY = { classid: 1702260340, objid: 1 };
/** Tries per publish() and the pause after a candidate found appends still in flight. */
const MAX_ROUNDS = 4;
const APPEND_WAIT_MS = 10;

/** Seqs drawn so far, and the transactions that may still hold some of them. */
interface Candidate {
  seq: number;
  writers: string[];
}

/**
 * Publishes how far the event log may be read: `event_sequence.last_seq`, which readers never
 * pass.
 *
 * An event takes its seq when it is appended (a sequence default, no second write), so seqs are
 * drawn in append order while transactions commit in any order: writer A draws 41, writer B
 * draws 42 and commits first. A reader that saw 42 and asks for `after=42` would never see 41.
 * So readers stop at the published seq, and a seq is published only once every transaction that
 * could hold it or a lower one has ended: the log up to it is then final, a gap-free prefix (a
 * rolled-back append leaves an unused seq, which no reader can tell from an erased event).
 *
 * Which transactions: a seq is drawn by the column's default, `events_next_seq()`, which first
 * takes a shared advisory lock (APPEND_LOCK_KEY) held until its transaction ends. Read the last
 * drawn seq first, then the holders of that lock: any transaction that drew up to that seq and
 * has not ended is among them. Once none of them holds a lock any more, each has ended and its
 * commit is visible (a transaction releases its locks after that), so the seq can be published.
 * Only appends in flight are waited for: never a long transaction elsewhere, nor VACUUM, ANALYZE,
 * an index build or retention's deletes, which lock the table but draw no seq. The wait is as
 * long as the longest append in flight, one tick at most in practice. Several processes publish
 * at once (every API's relay, every worker's webhook dispatcher): the value only grows.
 */
@Injectable()
export class EventSequencer {
  private candidate?: Candidate;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Publishes what it can; answers the published seq, or null when nothing moved. */
  async publish(): Promise<number | null> {
    let published: number | null = null;
    // Under steady appends a fresh candidate usually has one in flight, which ends within a few
    // milliseconds: look again shortly rather than a tick later. And once a candidate is
    // published, try the next at once, so what committed meanwhile need not wait a tick.
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      this.candidate ??= await this.nextCandidate();
      if (!this.candidate) break;
      const moved = await this.publishCandidate(this.candidate);
      if (moved !== null) {
        this.candidate = undefined;
        published = moved;
      } else if (round < MAX_ROUNDS) {
        await sleep(APPEND_WAIT_MS);
      }
    }
    return published;
  }

  /**
   * Publishes the candidate's seq if none of its writers is left; null when some still are.
   * Listeners (EventsPublishedListener) hear of it when the statement commits.
   */
  private async publishCandidate(candidate: Candidate): Promise<number | null> {
    const [published] = await this.dataSource.query(
      `UPDATE event_sequence SET last_seq = GREATEST(last_seq, $1)
        WHERE NOT EXISTS (SELECT 1 FROM pg_locks WHERE virtualtransaction = ANY ($2::text[]))
        RETURNING last_seq, pg_notify('${EVENTS_PUBLISHED_CHANNEL}', last_seq::text)`,
      [candidate.seq, candidate.writers],
    );
    // An UPDATE through query() answers [rows, affected count].
    if ((published as unknown[]).length === 0) return null;
    return Number((published as { last_seq: string }[])[0].last_seq);
  }

  /** The last drawn seq and its possible holders, when it is ahead of what is published. */
  private async nextCandidate(): Promise<Candidate | undefined> {
    // Two statements, in this order: a transaction that drew a seq before the first still
    // holds the append lock at the second, unless it has ended.
    const [drawn] = await this.dataSource.query(
      `SELECT COALESCE(pg_sequence_last_value('events_seq_source'), 0) AS seq,
              (SELECT last_seq FROM event_sequence) AS published`,
    );
    if (Number(drawn.seq) <= Number(drawn.published)) return undefined;
    const [holders] = await this.dataSource.query(
      `SELECT COALESCE(array_agg(DISTINCT virtualtransaction), '{}') AS writers
         FROM pg_locks
        WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [APPEND_LOCK_KEY.classid, APPEND_LOCK_KEY.objid],
    );
    return { seq: Number(drawn.seq), writers: holders.writers as string[] };
  }
}
