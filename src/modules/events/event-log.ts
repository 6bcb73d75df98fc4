import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { JsonObject } from '../../platform/database/json';
import { DomainError } from '../../platform/errors/domain-error';
import { DEFAULT_PAGE_SIZE } from '../../platform/http/pagination';
import { EventPage, ListEventsQuery, mapEvent } from './dto/event.dto';
import { EventRecord } from './event-record.entity';
import type { EventType } from './event-type';

export interface NewEvent {
  type: EventType;
  conversationId: string | null;
  /** The public JSON of the resource after the change. */
  data: object;
  previousStatus?: string | null;
}

/** How far readers may read the log (see EventSequencer). */
export const PUBLISHED_SEQ = 'SELECT last_seq FROM event_sequence';

/** Well below Postgres' 65535 bind parameters per statement. */
const INSERT_CHUNK = 500;

/**
 * The event log: every state change appends here, in the transaction of the change, so an event
 * exists exactly when its change committed. Readers see an event once the EventSequencer has
 * given it a seq (see event-sequencer.ts for why seq is not taken at append time).
 */
@Injectable()
export class EventLog {
  constructor(@InjectRepository(EventRecord) private readonly events: Repository<EventRecord>) {}

  async append(manager: EntityManager, events: NewEvent | NewEvent[]): Promise<void> {
    const list = Array.isArray(events) ? events : [events];
    if (list.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive) {
      // Appending outside the change's transaction could publish a rolled-back change.
      throw new Error('EventLog.append must be called inside the transaction of the change');
    }
    const rows = list.map((event) => ({
      type: event.type,
      conversationId: event.conversationId,
      previousStatus: event.previousStatus ?? null,
      data: event.data as JsonObject,
    }));
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(EventRecord)
        .values(rows.slice(start, start + INSERT_CHUNK))
        .updateEntity(false)
        .execute();
    }
  }

  async listEvents(query: ListEventsQuery): Promise<EventPage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const given = query.after ?? (query.cursor ? Number(query.cursor) : undefined);
    // Without a position the reader asks for what there is, from the oldest kept event on.
    if (given !== undefined) {
      const oldestSeq = await this.oldestKeptSeq();
      if (given < oldestSeq - 1) throw eventsPruned(oldestSeq);
    }
    const after = given ?? 0;
    const events = await this.readAfter(after, limit, query.conversation_id);
    return {
      data: events.map(mapEvent),
      next_cursor: events.length === limit ? events[events.length - 1].seq : null,
    };
  }

  /**
   * Published events after `afterSeq`, in seq order, optionally of some conversations only.
   * Never past the published seq: an event above it may have lower seqs still uncommitted.
   */
  readAfter(
    afterSeq: number,
    limit: number,
    conversationIds?: string | string[],
    upToSeq?: number,
  ): Promise<EventRecord[]> {
    const query = this.events
      .createQueryBuilder('event')
      .where('event.seq > :afterSeq', { afterSeq })
      .andWhere(`event.seq <= (${PUBLISHED_SEQ})`)
      .orderBy('event.seq', 'ASC')
      .limit(limit);
    if (upToSeq !== undefined) query.andWhere('event.seq <= :upToSeq', { upToSeq });
    if (conversationIds !== undefined) {
      query.andWhere('event.conversation_id IN (:...conversationIds)', {
        conversationIds: Array.isArray(conversationIds) ? conversationIds : [conversationIds],
      });
    }
    return query.getMany();
  }

  /** The first seq retention has not pruned (1 when nothing was). */
  async oldestKeptSeq(): Promise<number> {
    const [row] = await this.events.query(`SELECT pruned_through FROM event_retention`);
    return Number(row?.pruned_through ?? 0) + 1;
  }

  /** The highest published seq (0 for an empty log). */
  async lastSeq(): Promise<number> {
    const [row] = await this.events.query(`SELECT last_seq FROM event_sequence`);
    return Number(row?.last_seq ?? 0);
  }
}

/** A reader asked for events after a seq that retention already pruned: it would miss some. */
export function eventsPruned(oldestSeq: number): DomainError {
  return new DomainError(
    'events_pruned',
    `events up to seq ${oldestSeq - 1} were pruned (retention); start again from your own ` +
      `records, then read ?after=${oldestSeq - 1}`,
    [],
    { oldest_seq: oldestSeq },
  );
}
