import { isUUID } from 'class-validator';
import type { EventResponse } from './dto/event.dto';

/** Sockets that asked for no conversation in particular receive every event from this room. */
export const ALL_EVENTS_ROOM = 'events:all';

export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;

/** What one socket receives: every event, or those of the conversations it subscribed to. */
export interface EventSubscription {
  all: boolean;
  conversationIds: Set<string>;
}

/** The socket.io handshake: `auth: { token, last_seq?, conversation_ids? }`. */
export interface EventHandshake {
  token?: string;
  lastSeq?: number;
  conversationIds: string[];
}

export function parseHandshake(auth: unknown): EventHandshake | { error: string } {
  const fields = (auth && typeof auth === 'object' ? auth : {}) as Record<string, unknown>;
  const token = typeof fields.token === 'string' && fields.token ? fields.token : undefined;
  let lastSeq: number | undefined;
  if (fields.last_seq !== undefined && fields.last_seq !== null) {
    lastSeq = Number(fields.last_seq);
    if (!Number.isSafeInteger(lastSeq) || lastSeq < 0 || fields.last_seq === '') {
      return { error: 'last_seq must be the seq of the last event received (a whole number >= 0)' };
    }
  }
  const ids = fields.conversation_ids ?? [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !isUUID(id))) {
    return { error: 'conversation_ids must be an array of conversation ids' };
  }
  return { token, lastSeq, conversationIds: [...new Set(ids as string[])] };
}

export function subscriptionOf(handshake: EventHandshake): EventSubscription {
  return {
    all: handshake.conversationIds.length === 0,
    conversationIds: new Set(handshake.conversationIds),
  };
}

export function roomsOf(subscription: EventSubscription): string[] {
  return subscription.all
    ? [ALL_EVENTS_ROOM]
    : [...subscription.conversationIds].map(conversationRoom);
}

/** Every room an event goes to; socket.io delivers it once to a socket in several of them. */
export function roomsForEvent(event: Pick<EventResponse, 'conversation_id'>): string[] {
  return event.conversation_id
    ? [ALL_EVENTS_ROOM, conversationRoom(event.conversation_id)]
    : [ALL_EVENTS_ROOM];
}

/**
 * `subscribe {conversation_id}` narrows the socket to its conversations; `subscribe {}` goes back
 * to every event. `unsubscribe {conversation_id}` drops one conversation (an empty set then
 * receives nothing, rather than suddenly everything).
 */
export function applySubscriptionChange(
  subscription: EventSubscription,
  change: 'subscribe' | 'unsubscribe',
  body: unknown,
): EventSubscription | { error: string } {
  const conversationId =
    body && typeof body === 'object'
      ? (body as Record<string, unknown>).conversation_id
      : undefined;
  if (conversationId === undefined && change === 'subscribe') {
    return { all: true, conversationIds: new Set() };
  }
  if (typeof conversationId !== 'string' || !isUUID(conversationId)) {
    return { error: 'conversation_id must be a conversation id (UUID)' };
  }
  if (change === 'unsubscribe' && subscription.all) return subscription;
  const conversationIds = new Set(subscription.all ? [] : subscription.conversationIds);
  if (change === 'subscribe') conversationIds.add(conversationId);
  else conversationIds.delete(conversationId);
  return { all: false, conversationIds };
}
