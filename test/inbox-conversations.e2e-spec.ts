import { randomBytes } from 'node:crypto';
import type { EventResponse } from '../src/modules/events/dto/event.dto';
import { everyEventPublished, sql } from './support/db';
import { connectEvents, EventSocket } from './support/event-socket';
import { createConversation, createCustomer } from './support/factories';
import {
  INBOUND_ENV,
  postWhatsapp,
  uniqueWaId,
  uniqueWamid,
  whatsappStatus,
  whatsappText,
} from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { waitFor } from './support/wait-for';

const PASSWORD = 'correct horse battery staple';

/**
 * What the inbox lists of a conversation: assignee, unread count and last message, kept by the
 * statements that store messages (webhooks, POST /api/messages) and read live from the message
 * (delivery statuses), changed by PATCH and /read, in keyset pages of newest activity first.
 * The API runs without API_KEYS here (open, as in development); sessions still say who "me" is.
 */
describe('Conversations in the inbox (real worker, WhatsApp stand-in)', () => {
  let stack: OutboundStack;
  let socket: EventSocket;
  let agent: { id: string; email: string };
  let cookie: string;

  beforeAll(async () => {
    stack = await startOutboundStack({ WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET });
    await stack.startWorker();
    socket = await connectEvents(stack.api.url);
    agent = await createAgent();
    const signedIn = await stack.api.request('POST', '/api/session', {
      email: agent.email,
      password: PASSWORD,
    });
    cookie = /^(omni_session=[^;]*)/.exec(signedIn.headers.get('set-cookie')!)![1];
  });
  afterAll(async () => {
    socket?.close();
    await stack.stop();
  });

  async function createAgent() {
    const response = await stack.api.request('POST', '/api/agents', {
      email: `inbox-${randomBytes(6).toString('hex')}@example.com`,
      name: 'Inbox agent',
      password: PASSWORD,
      role: 'agent',
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  const get = async (id: string) =>
    (await stack.api.request('GET', `/api/conversations/${id}`)).body;
  const patch = (id: string, body: unknown) =>
    stack.api.request('PATCH', `/api/conversations/${id}`, body);
  const list = async (query: string, headers: Record<string, string> = {}) => {
    const response = await stack.api.request(
      'GET',
      `/api/conversations?${query}`,
      undefined,
      headers,
    );
    expect(response.status).toBe(200);
    return response.body as { data: any[]; next_cursor: string | null };
  };
  /** Every page of a list, following next_cursor. */
  async function allPages(query: string, headers: Record<string, string> = {}) {
    const rows: any[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`${query}${cursor ? `&cursor=${cursor}` : ''}`, headers);
      rows.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return rows;
  }
  async function inbound(from: string, bodies: string[]) {
    const payload = whatsappText({ from, body: bodies[0] });
    const value = payload.entry[0].changes[0].value;
    value.messages = bodies.map((body) => ({
      ...value.messages[0],
      id: uniqueWamid(),
      text: { body },
    }));
    const response = await postWhatsapp(stack.api, payload);
    expect(response.status).toBe(200);
    const [row] = await sql(
      `SELECT conversation_id FROM messages WHERE channel = 'whatsapp' AND body = $1`,
      [bodies[0]],
    );
    return row.conversation_id as string;
  }
  /** The events about one conversation, once published. */
  async function eventsOf(conversationId: string, type: string, count: number) {
    return socket.waitForEvents(
      count,
      (event) => event.conversation_id === conversationId && event.type === type,
    );
  }

  it('opens a conversation from inbound messages with their count unread and the last one shown', async () => {
    const long = `Where is my order? ${'é'.repeat(200)}`;
    const first = `first ${randomBytes(4).toString('hex')}`;
    const id = await inbound(uniqueWaId(), [first, long]);
    const conversation = await get(id);
    const [last] = await sql(
      `SELECT id, created_at FROM messages WHERE conversation_id = $1 AND body = $2`,
      [id, long],
    );
    expect(conversation).toMatchObject({
      assignee_id: null,
      unread_count: 2,
      last_message_at: last.created_at.toISOString(),
      last_message: {
        id: last.id,
        body: long.slice(0, 140),
        direction: 'inbound',
        status: 'received',
      },
    });
    expect([...conversation.last_message.body]).toHaveLength(140);

    // conversation.created carries the conversation as the webhook's statement left it.
    const [created] = await eventsOf(id, 'conversation.created', 1);
    expect(created.data).toEqual(conversation);

    const later = `later ${randomBytes(4).toString('hex')}`;
    const customerPhone = (
      await sql(`SELECT phone FROM customers WHERE id = $1`, [conversation.customer_id])
    )[0].phone;
    await inbound(customerPhone.slice(1), [later]);
    expect(await get(id)).toMatchObject({
      unread_count: 3,
      last_message: { body: later, direction: 'inbound', status: 'received' },
    });
  });

  it('shows an outbound reply as the last message with its live delivery status, unread untouched', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    expect(conversation).toMatchObject({
      unread_count: 0,
      last_message: null,
      last_message_at: null,
      assignee_id: null,
    });
    const inboundMessage = await stack.api.request('POST', '/api/messages', {
      conversation_id: conversation.id,
      direction: 'inbound',
      channel: 'whatsapp',
      body: 'Hi, anyone there?',
    });
    expect((await get(conversation.id)).unread_count).toBe(1);

    const message = await stack.send(conversation.id, 'whatsapp', { body: 'Yes, how can I help?' });
    const queued = await get(conversation.id);
    expect(queued).toMatchObject({
      unread_count: 1,
      last_message_at: message.created_at,
      last_message: { id: message.id, body: 'Yes, how can I help?', direction: 'outbound' },
    });
    expect(queued.last_message_at >= inboundMessage.body.created_at).toBe(true);

    const sent = await stack.waitForStatus(message.id, ['sent']);
    expect((await get(conversation.id)).last_message.status).toBe('sent');
    const receipt = await postWhatsapp(
      stack.api,
      whatsappStatus(sent.provider_message_id, 'delivered', Math.floor(Date.now() / 1000)),
    );
    expect(receipt.status).toBe(200);
    await stack.waitForStatus(message.id, ['delivered']);
    expect((await get(conversation.id)).last_message).toEqual({
      id: message.id,
      body: 'Yes, how can I help?',
      direction: 'outbound',
      status: 'delivered',
    });
    const listed = await list(`customer_id=${conversation.customer_id}`);
    expect(listed.data[0].last_message.status).toBe('delivered');
  });

  it('assigns, reads, closes and reopens, each a conversation.updated event on the socket', async () => {
    const id = await inbound(uniqueWaId(), [`assign me ${randomBytes(4).toString('hex')}`]);
    const assigned = await patch(id, { assignee_id: agent.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ assignee_id: agent.id, unread_count: 1, status: 'open' });

    const read = await stack.api.request('POST', `/api/conversations/${id}/read`, undefined, {
      cookie,
    });
    expect(read.status).toBe(200);
    expect(read.body.unread_count).toBe(0);
    // Reading what is read changes nothing and tells nobody.
    expect(
      (await stack.api.request('POST', `/api/conversations/${id}/read`)).body.unread_count,
    ).toBe(0);

    const closed = await patch(id, { status: 'closed' });
    expect(closed.body).toMatchObject({ status: 'closed', assignee_id: agent.id });
    const reopened = await patch(id, { status: 'open', assignee_id: null });
    expect(reopened.body).toMatchObject({ status: 'open', assignee_id: null });

    const updates = await eventsOf(id, 'conversation.updated', 4);
    expect(
      updates.map((event) => [
        event.previous_status,
        event.data.status,
        event.data.assignee_id,
        event.data.unread_count,
      ]),
    ).toEqual([
      ['open', 'open', agent.id, 1],
      ['open', 'open', agent.id, 0],
      ['open', 'closed', agent.id, 0],
      ['closed', 'open', null, 0],
    ]);
    expect(updates[3].data).toEqual(await get(id));
    await waitFor(everyEventPublished, 'every event to be published');
    const page = await stack.api.request('GET', `/api/events?conversation_id=${id}`);
    expect(
      page.body.data.filter((e: EventResponse) => e.type === 'conversation.updated'),
    ).toHaveLength(4);
  });

  it('refuses an unknown assignee, a malformed one and an empty change, changing nothing', async () => {
    const conversation = await createConversation(stack.api, 'sms');
    const unknown = await patch(conversation.id, {
      assignee_id: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e30',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      error: 'not_found',
      message: expect.stringContaining('agent'),
    });
    const malformed = await patch(conversation.id, { assignee_id: 'me' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('assignee_id');
    const empty = await patch(conversation.id, {});
    expect(empty.status).toBe(400);
    const status = await patch(conversation.id, { status: 'snoozed' });
    expect(status.status).toBe(400);
    expect((await get(conversation.id)).updated_at).toBe(conversation.updated_at);
    expect(
      (
        await stack.api.request(
          'POST',
          `/api/conversations/0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e30/read`,
        )
      ).status,
    ).toBe(404);
  });

  it('lists newest activity first in keyset pages, filtered by assignee, status and channel', async () => {
    const mine = await createAgent();
    const signedIn = await stack.api.request('POST', '/api/session', {
      email: mine.email,
      password: PASSWORD,
    });
    const myCookie = /^(omni_session=[^;]*)/.exec(signedIn.headers.get('set-cookie')!)![1];
    const customer = await createCustomer(stack.api);
    const conversations: any[] = [];
    for (const channel of ['whatsapp', 'sms', 'email', 'web']) {
      conversations.push(
        await createConversation(stack.api, channel, { customer_id: customer.id }),
      );
    }
    const other = await createCustomer(stack.api);
    conversations.push(await createConversation(stack.api, 'sms', { customer_id: other.id }));
    for (const conversation of conversations) {
      expect((await patch(conversation.id, { assignee_id: mine.id })).status).toBe(200);
    }
    // A message makes the oldest conversation the newest activity.
    await stack.api.request('POST', '/api/messages', {
      conversation_id: conversations[0].id,
      direction: 'inbound',
      channel: 'whatsapp',
      body: 'bump',
    });
    await patch(conversations[2].id, { status: 'closed' });
    const expectedOrder = [conversations[0], ...conversations.slice(1).reverse()].map((c) => c.id);

    const mineAll = await allPages('assignee=me&limit=2', { cookie: myCookie });
    expect(mineAll.map((c) => c.id)).toEqual(expectedOrder);
    expect(await allPages(`assignee=${mine.id}&limit=3`)).toEqual(mineAll);
    const activity = mineAll.map((c) => c.last_message_at ?? c.created_at);
    expect([...activity].sort().reverse()).toEqual(activity);

    expect((await list(`assignee=${mine.id}&status=closed`)).data.map((c) => c.id)).toEqual([
      conversations[2].id,
    ]);
    expect(
      (await list(`assignee=${mine.id}&status=open&channel=sms`)).data.map((c) => c.id),
    ).toEqual([conversations[4].id, conversations[1].id]);
    // The other agent has none of these; "none" lists what nobody has.
    expect((await list('assignee=me', { cookie })).data.map((c) => c.id)).not.toContain(
      conversations[0].id,
    );
    await patch(conversations[3].id, { assignee_id: null });
    expect((await list(`assignee=none&customer_id=${customer.id}`)).data.map((c) => c.id)).toEqual([
      conversations[3].id,
    ]);
    expect((await list(`assignee=${mine.id}`)).data.map((c) => c.id)).not.toContain(
      conversations[3].id,
    );
  });

  it('refuses assignee=me without a signed-in agent, a bad assignee and a cursor it did not make', async () => {
    for (const query of [
      'assignee=me',
      'assignee=someone',
      'cursor=0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e30',
      'cursor=1_2',
    ]) {
      const response = await stack.api.request('GET', `/api/conversations?${query}`);
      expect([query, response.status, response.body.error]).toEqual([
        query,
        400,
        'validation_failed',
      ]);
    }
  });
});
