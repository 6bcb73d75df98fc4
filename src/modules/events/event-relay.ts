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
 * between processes: Postgres is the bus. One tick at a time: number what has committed, bring
 * resuming sockets up to the relay's position, then publish what is new. Because only the tick
 * emits, a resuming socket gets its missed events strictly before any live one.
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
      await this.sequencer.numberPending();
      await this.resumeSockets();
      await this.publishNew();
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
    for (const entry of resuming) {
      const { socket } = entry;
      if (socket.disconnected) continue;
      // The client saw events this relay has not published yet (it was on a faster process).
      if (entry.lastSeq > this.cursor && entry.ticks < MAX_AHEAD_TICKS) {
        this.resuming.push({ ...entry, ticks: entry.ticks + 1 });
        continue;
      }
      await this.warnIfPruned(socket, entry.lastSeq);
      const { subscription } = socket.data as EventSocketData;
      const conversationIds = subscription.all ? undefined : [...subscription.conversationIds];
      let after = entry.lastSeq;
      while (conversationIds?.length !== 0 && after < this.cursor) {
        const missed = await this.log.readAfter(after, PAGE, conversationIds, this.cursor);
        for (const record of missed) {
          const event = mapEvent(record);
          socket.emit(event.type, event);
        }
        if (missed.length < PAGE) break;
        after = Number(missed[missed.length - 1].seq);
      }
      this.goLive(socket);
    }
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
