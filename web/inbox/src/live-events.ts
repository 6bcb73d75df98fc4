import { io } from 'socket.io-client';
import type { LogEvent } from './types';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  onEvent(event: LogEvent): void;
  /** What changed while away cannot be replayed (nothing to resume from, or too far behind): reload. */
  onStale(): void;
  onStateChange(state: LiveState): void;
  /** The server refused the handshake (the session ended, most likely). */
  onRefused(): void;
}

const EVENT_TYPES = [
  'conversation.created',
  'conversation.updated',
  'message.created',
  'message.updated',
  'customer.created',
];

/**
 * The API's event stream over socket.io, authorized by the session cookie. Every reconnection
 * hands the server the last seq applied, so it replays exactly what was missed; a seq at or below
 * it is never applied twice.
 */
export function connectLive(handlers: LiveHandlers): () => void {
  let lastSeq: number | undefined;
  const socket = io({
    auth: (send) => send(lastSeq === undefined ? {} : { last_seq: lastSeq }),
    // WebSocket first: connected in one round trip, and no long poll holding one of the browser's
    // six connections while the list and its customers load. Long polling stays the fallback
    // where a proxy refuses WebSockets.
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 2000,
  });
  const apply = (event: LogEvent) => {
    if (lastSeq !== undefined && event.seq <= lastSeq) return;
    lastSeq = event.seq;
    handlers.onEvent(event);
  };
  for (const type of EVENT_TYPES) socket.on(type, apply);
  socket.on('events_pruned', () => {
    lastSeq = undefined;
    handlers.onStale();
  });
  // Over 1 000 events behind: the socket goes on after live_after, the REST resources hold the rest.
  socket.on('resync', ({ live_after }: { live_after: number }) => {
    lastSeq = live_after;
    handlers.onStale();
  });
  socket.on('connect', () => {
    handlers.onStateChange('live');
    // Until the first event arrives there is no seq to resume from: events may have been missed.
    if (lastSeq === undefined) handlers.onStale();
  });
  socket.on('disconnect', (reason) => {
    handlers.onStateChange('reconnecting');
    // socket.io-client does not reconnect by itself when the server closed the socket.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('connect_error', () => {
    handlers.onStateChange('reconnecting');
    // A refusal by the server, unlike a network error, is not retried by socket.io-client.
    if (!socket.active) handlers.onRefused();
  });
  // The browser knows at once when the network is gone; socket.io would take up to a heartbeat
  // timeout (45 s) to declare a silent socket dead, and the agent would see a stale page meanwhile.
  const offline = () => socket.disconnect();
  const online = () => socket.connect();
  addEventListener('offline', offline);
  addEventListener('online', online);
  return () => {
    removeEventListener('offline', offline);
    removeEventListener('online', online);
    socket.close();
  };
}
