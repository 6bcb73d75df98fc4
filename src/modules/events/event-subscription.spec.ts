import {
  ALL_EVENTS_ROOM,
  applySubscriptionChange,
  parseHandshake,
  roomsForEvent,
  roomsOf,
  subscriptionOf,
} from './event-subscription';

const A = '0196f1c2-7a10-7000-8000-00000000000a';
const B = '0196f1c2-7a10-7000-8000-00000000000b';

describe('parseHandshake', () => {
  it('reads the token, last_seq (number or numeric string) and conversation_ids', () => {
    expect(parseHandshake({ token: 'k', last_seq: 41, conversation_ids: [A, A] })).toEqual({
      token: 'k',
      lastSeq: 41,
      conversationIds: [A],
    });
    expect(parseHandshake({ last_seq: '7' })).toEqual({
      token: undefined,
      lastSeq: 7,
      conversationIds: [],
    });
    expect(parseHandshake(undefined)).toEqual({
      token: undefined,
      lastSeq: undefined,
      conversationIds: [],
    });
  });

  it.each([[{ last_seq: -1 }], [{ last_seq: 1.5 }], [{ last_seq: 'x' }], [{ last_seq: '' }]])(
    'refuses a last_seq that is not a seq: %j',
    (auth) => {
      expect(parseHandshake(auth)).toEqual({ error: expect.stringMatching(/^last_seq/) });
    },
  );

  it('refuses conversation_ids that are not UUIDs', () => {
    expect(parseHandshake({ conversation_ids: ['nope'] })).toEqual({
      error: expect.stringMatching(/^conversation_ids/),
    });
    expect(parseHandshake({ conversation_ids: A })).toHaveProperty('error');
  });
});

describe('subscriptions and rooms', () => {
  it('starts with every event, or with the handshake conversations', () => {
    expect(roomsOf(subscriptionOf({ conversationIds: [] }))).toEqual([ALL_EVENTS_ROOM]);
    expect(roomsOf(subscriptionOf({ conversationIds: [A] }))).toEqual([`conversation:${A}`]);
  });

  it('narrows on subscribe, drops one room on unsubscribe, and widens on subscribe {}', () => {
    const all = subscriptionOf({ conversationIds: [] });
    const one = applySubscriptionChange(all, 'subscribe', { conversation_id: A });
    expect(one).toEqual({ all: false, conversationIds: new Set([A]) });
    const two = applySubscriptionChange(one as typeof all, 'subscribe', { conversation_id: B });
    expect(roomsOf(two as typeof all)).toEqual([`conversation:${A}`, `conversation:${B}`]);
    const none = applySubscriptionChange(two as typeof all, 'unsubscribe', { conversation_id: A });
    const empty = applySubscriptionChange(none as typeof all, 'unsubscribe', {
      conversation_id: B,
    });
    expect(roomsOf(empty as typeof all)).toEqual([]);
    expect(applySubscriptionChange(empty as typeof all, 'subscribe', {})).toEqual(all);
  });

  it('keeps every event when unsubscribing from a conversation it never narrowed to', () => {
    const all = subscriptionOf({ conversationIds: [] });
    expect(applySubscriptionChange(all, 'unsubscribe', { conversation_id: A })).toBe(all);
  });

  it('refuses a conversation_id that is not a UUID', () => {
    const all = subscriptionOf({ conversationIds: [] });
    expect(applySubscriptionChange(all, 'subscribe', { conversation_id: 'x' })).toHaveProperty(
      'error',
    );
    expect(applySubscriptionChange(all, 'unsubscribe', {})).toHaveProperty('error');
  });

  it('sends an event to everyone and to its conversation room', () => {
    expect(roomsForEvent({ conversation_id: A })).toEqual([ALL_EVENTS_ROOM, `conversation:${A}`]);
    expect(roomsForEvent({ conversation_id: null })).toEqual([ALL_EVENTS_ROOM]);
  });
});
