import { io, ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { EventResponse } from '../../src/modules/events/dto/event.dto';
import { waitFor } from './wait-for';

export interface EventSocket {
  socket: Socket;
  /** Every event received, in arrival order. */
  events: EventResponse[];
  /** Waits until `count` received events match `filter`, and returns those. */
  waitForEvents(
    count: number,
    filter?: (event: EventResponse) => boolean,
    timeoutMs?: number,
  ): Promise<EventResponse[]>;
  emitWithAck<T = any>(name: string, body: unknown): Promise<T>;
  close(): void;
}

/** A socket.io client of the API, resolved once connected (rejects with the connect_error). */
export async function connectEvents(
  url: string,
  auth: Record<string, unknown> = {},
  /** Handshake headers, as a browser sends them: `{ cookie, origin }`. */
  extraHeaders: Record<string, string> = {},
): Promise<EventSocket> {
  const options: Partial<ManagerOptions & SocketOptions> = {
    auth,
    transports: ['websocket'],
    reconnection: false,
    extraHeaders,
  };
  const socket = io(url, options);
  const events: EventResponse[] = [];
  socket.onAny((_name: string, event: EventResponse) => events.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return {
    socket,
    events,
    async waitForEvents(count, filter = () => true, timeoutMs = 15_000) {
      return waitFor(
        () => {
          const matching = events.filter(filter);
          return matching.length >= count && matching;
        },
        `${count} events (got ${JSON.stringify(events.filter(filter).map((e) => [e.seq, e.type]))})`,
        timeoutMs,
      );
    },
    emitWithAck: (name, body) => socket.timeout(5000).emitWithAck(name, body),
    close: () => void socket.close(),
  };
}

/** A refused handshake's connect_error message. */
export async function refusal(
  url: string,
  auth: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): Promise<string> {
  try {
    const connected = await connectEvents(url, auth, extraHeaders);
    connected.close();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  }
}
