import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { mapEvent } from './dto/event.dto';
import { EventLog, eventsPruned } from './event-log';
import { EventSequencer } from './event-sequencer';
import {
  EventHandshake,
  EventSubscription,
  roomsForEvent,
  roomsOf,
  subscriptionOf,
} from './event-subscription';

export const EVENT_POLL_INTERVAL_MS = 100;
const PAGE = 500;
/** How long a socket whose last_seq is ahead of this process's relay waits for it to catch up. */
const MAX_AHEAD_TICKS = 50;
/**
 * The most missed events one resuming socket is sent; a client further behind gets `resync` and
 * reads the rest through GET /api/events, so one far-behind client never costs a tick the log.
 */
export const MAX_REPLAYED_EVENTS = 1000;
/** Replays one tick may do before leaving the remaining resuming sockets to the next one. */
const REPLAY_BUDGET_PER_TICK = 5 * MAX_REPLAYED_EVENTS;

export interface EventSocketData {
  handshake: EventHandshake;
  subscription: EventSubscription;
  /** In its rooms: receives events as they are published. */
  live: boolean;
}

interface Resuming {
  socket: Socket;
  lastSeq: number;
  ticks: number;
}

/**
 * Tails the event log for this API process and emits to its own sockets. Every API process runs
 * one, so a client on any of them sees every change, the worker's included, with no fan-out
 * between processes: Postgres is the bus. One tick at a time: publish how far the log may be read,
 * emit what is new, then bring resuming sockets up to the relay's position, so their replays never
 * delay live events. Because only the tick emits and a resuming socket joins its rooms after its
 * replay, it gets its missed events strictly before any live one.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventRelay.name);
  private server?: Server;
  /** The last seq published to this process's sockets. */
  private cursor = 0;
  private resuming: Resuming[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly log: EventLog,
    private readonly sequencer: EventSequencer,
  ) {}

  attach(server: Server): void {
    this.server = server;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.cursor = await this.log.lastSeq();
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** A socket that passed the handshake: live at once, or after its missed events. */
  admit(socket: Socket, handshake: EventHandshake): void {
    const data = socket.data as EventSocketData;
    data.handshake = handshake;
    data.subscription = subscriptionOf(handshake);
    data.live = false;
    if (handshake.lastSeq === undefined) this.goLive(socket);
    else this.resuming.push({ socket, lastSeq: handshake.lastSeq, ticks: 0 });
  }

  /** Applies a subscription change to a live socket's rooms (a resuming one joins them later). */
  resubscribe(socket: Socket, subscription: EventSubscription): void {
    const data = socket.data as EventSocketData;
    data.subscription = subscription;
    if (data.live) this.syncRooms(socket);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule());
    }, EVENT_POLL_INTERVAL_MS);
  }

  private async tick(): Promise<void> {
    try {
      await this.sequencer.publish();
      await this.publishNew();
      await this.resumeSockets();
    } catch (error) {
      this.logger.warn(
        { error: (error as Error).message, cursor: this.cursor },
        'event relay tick failed',
      );
    }
  }

  private async publishNew(): Promise<void> {
    if (!this.server || this.server.of('/').sockets.size === 0) {
      // Nobody to publish to: skip reading and encoding what no one receives. A socket that
      // connects later resumes from its own last_seq, read from the log, not from this cursor.
      this.cursor = await this.log.lastSeq();
      return;
    }
    for (;;) {
      const events = await this.log.readAfter(this.cursor, PAGE);
      for (const record of events) {
        const event = mapEvent(record);
        this.server.to(roomsForEvent(event)).emit(event.type, event);
        this.cursor = event.seq;
      }
      if (events.length < PAGE) return;
    }
  }

  private async resumeSockets(): Promise<void> {
    const resuming = this.resuming;
    this.resuming = [];
    let budget = REPLAY_BUDGET_PER_TICK;
    for (const entry of resuming) {
      const { socket } = entry;
      if (socket.disconnected) continue;
      // The client saw events this relay has not published yet (it was on a faster process).
      const ahead = entry.lastSeq > this.cursor && entry.ticks < MAX_AHEAD_TICKS;
      if (ahead || budget <= 0) {
        this.resuming.push({ ...entry, ticks: entry.ticks + (ahead ? 1 : 0) });
        continue;
      }
      await this.warnIfPruned(socket, entry.lastSeq);
      budget -= await this.replay(socket, entry.lastSeq);
      this.goLive(socket);
    }
  }

  /**
   * Sends a socket what it missed after `lastSeq`, up to the relay's position, at most
   * MAX_REPLAYED_EVENTS of them; past that, `resync` says where to continue with GET /api/events
   * (live events follow it, all after that gap). Answers how many events it read.
   */
  private async replay(socket: Socket, lastSeq: number): Promise<number> {
    const { subscription } = socket.data as EventSocketData;
    const conversationIds = subscription.all ? undefined : [...subscription.conversationIds];
    if (conversationIds?.length === 0 || lastSeq >= this.cursor) return 0;
    const missed = await this.log.readAfter(
      lastSeq,
      MAX_REPLAYED_EVENTS + 1,
      conversationIds,
      this.cursor,
    );
    for (const record of missed.slice(0, MAX_REPLAYED_EVENTS)) {
      const event = mapEvent(record);
      socket.emit(event.type, event);
    }
    if (missed.length > MAX_REPLAYED_EVENTS) {
      const seq = Number(missed[MAX_REPLAYED_EVENTS - 1].seq);
      socket.emit('resync', { seq, live_after: this.cursor });
      this.logger.log({ socketId: socket.id, seq }, 'socket too far behind; sent resync');
    }
    return missed.length;
  }

  /** The socket still gets what is kept, but learns that what came before it is gone. */
  private async warnIfPruned(socket: Socket, lastSeq: number): Promise<void> {
    const oldestSeq = await this.log.oldestKeptSeq();
    if (lastSeq >= oldestSeq - 1) return;
    const error = eventsPruned(oldestSeq);
    socket.emit('events_pruned', { error: error.code, ...error.details, message: error.message });
  }

  private goLive(socket: Socket): void {
    (socket.data as EventSocketData).live = true;
    this.syncRooms(socket);
  }

  private syncRooms(socket: Socket): void {
    const wanted = new Set(roomsOf((socket.data as EventSocketData).subscription));
    for (const room of socket.rooms) {
      if (room !== socket.id && !wanted.has(room)) void socket.leave(room);
    }
    for (const room of wanted) void socket.join(room);
  }
}
