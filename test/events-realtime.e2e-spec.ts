import type { EventResponse } from '../src/modules/events/dto/event.dto';
import { ApiProcess, startApiProcess } from './support/api-process';
import { everyEventPublished, sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { connectEvents, EventSocket, refusal } from './support/event-socket';
import { INBOUND_ENV, postWhatsapp, whatsappStatus } from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { waitFor } from './support/wait-for';

const API_KEY = 'realtime-test-key';

/** [type, previous_status, status] of each event: the shape of a message's story. */
const story = (events: EventResponse[]) =>
  events.map((event) => [event.type, event.previous_status, event.data.status]);

describe('Real time over socket.io (worker process, two API processes)', () => {
  let stack: OutboundStack;
  let second: ApiProcess;
  const sockets: EventSocket[] = [];

  beforeAll(async () => {
    stack = await startOutboundStack({
      WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: INBOUND_ENV.WHATSAPP_VERIFY_TOKEN,
    });
    // Another `node dist/main.js` on the same Postgres and Redis, this one with API keys.
    second = await startApiProcess({ ...stack.env, API_KEYS: API_KEY });
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.close());
    await second?.stop();
    await stack.stop();
  });

  async function connect(url: string, auth: Record<string, unknown> = {}) {
    const socket = await connectEvents(url, auth);
    sockets.push(socket);
    return socket;
  }

  function postReceipt(wamid: string, status: 'delivered' | 'read') {
    const at = Math.floor(Date.now() / 1000) + (status === 'read' ? 1 : 0);
    return postWhatsapp(stack.api, whatsappStatus(wamid, status, at)).then((response) => {
      expect(response.status).toBe(200);
    });
  }

  it('streams message.created and each message.updated of a worker send, in order, on both API processes', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    // One narrows to the conversation in its handshake, the other by `subscribe` once connected
    // (until then it receives every event).
    const local = await connect(stack.api.url, { conversation_ids: [conversation.id] });
    const remote = await connect(second.url, { token: API_KEY });
    await expect(
      remote.emitWithAck('subscribe', { conversation_id: conversation.id }),
    ).resolves.toEqual({ ok: true, conversation_ids: [conversation.id] });
    const subscribedAt = new Map([
      [local, 0],
      [remote, remote.events.length],
    ]);

    const message = await stack.send(conversation.id, 'whatsapp', { body: 'Your order shipped' });
    const sent = await stack.waitForStatus(message.id, ['sent']);
    await postReceipt(sent.provider_message_id, 'delivered');
    await postReceipt(sent.provider_message_id, 'read');
    const read = (await stack.api.request('GET', `/api/messages/${message.id}`)).body;

    const expected = [
      ['message.created', null, 'queued'],
      ['message.updated', 'queued', 'sending'],
      ['message.updated', 'sending', 'sent'],
      ['message.updated', 'sent', 'delivered'],
      ['message.updated', 'delivered', 'read'],
    ];
    const seen: EventResponse[][] = [];
    for (const client of [local, remote]) {
      const events = await client.waitForEvents(5, (event) => event.data.id === message.id);
      expect(story(events)).toEqual(expected);
      events.slice(1).forEach((event, i) => expect(event.seq).toBeGreaterThan(events[i].seq));
      // The worker's events carry the same public JSON as the REST API.
      expect(events[0].data).toEqual(message);
      expect(events[2].data).toEqual(sent);
      expect(events[4].data).toEqual(read);
      const sinceSubscribed = client.events.slice(subscribedAt.get(client));
      expect(sinceSubscribed.filter((event) => event.conversation_id !== conversation.id)).toEqual(
        [],
      );
      seen.push(events);
    }
    expect(seen[1]).toEqual(seen[0]);
  });

  it('refuses a socket without a valid API key when keys are set', async () => {
    await expect(refusal(second.url, {})).resolves.toMatch(/^unauthorized/);
    await expect(refusal(second.url, { token: 'not-the-key' })).resolves.toMatch(/^unauthorized/);
    await expect(refusal(second.url, { token: API_KEY, last_seq: -3 })).resolves.toMatch(
      /last_seq/,
    );
    await expect(refusal(second.url, { token: API_KEY })).resolves.toBe('connected');
    expect((await fetch(`${second.url}/api/events`)).status).toBe(401);
  });

  it('replays exactly the missed status changes, in order, before live ones, to a client reconnecting with last_seq', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    // No worker while the message is queued, so the client can see it created and leave.
    await stack.workers[0].stop();
    const client = await connect(stack.api.url);
    const message = await stack.send(conversation.id, 'whatsapp');
    const [created] = await client.waitForEvents(1, (event) => event.data.id === message.id);
    expect(created.type).toBe('message.created');
    client.close();

    await stack.startWorker();
    const sent = await stack.waitForStatus(message.id, ['sent']);
    await postReceipt(sent.provider_message_id, 'delivered');
    const missed = await waitFor(async () => {
      const page = await stack.api.request('GET', `/api/events?after=${created.seq}`);
      return page.body.data.length >= 3 && (page.body.data as EventResponse[]);
    }, 'the three missed events in the log');
    expect(story(missed)).toEqual([
      ['message.updated', 'queued', 'sending'],
      ['message.updated', 'sending', 'sent'],
      ['message.updated', 'sent', 'delivered'],
    ]);

    const back = await connect(stack.api.url, { last_seq: created.seq });
    await postReceipt(sent.provider_message_id, 'read');
    const events = await back.waitForEvents(4);
    expect(events.slice(0, 3)).toEqual(missed);
    expect(events[3]).toMatchObject({
      type: 'message.updated',
      previous_status: 'delivered',
      data: { id: message.id, status: 'read' },
    });
    expect(events[3].seq).toBeGreaterThan(missed[2].seq);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(back.events).toHaveLength(4);
  });

  it('replays at most 1 000 events to a socket resuming from far behind, then resync, without delaying another socket', async () => {
    // A backlog far beyond one replay, appended as the application appends (seqs drawn by the
    // column default), published by the relay's sequencer.
    const backlog = 20_000;
    await sql(
      `INSERT INTO events (type, data)
       SELECT 'customer.created', jsonb_build_object('id', gen_random_uuid(), 'name', 'Backlog ' || i)
         FROM generate_series(1, $1::int) AS i`,
      [backlog],
    );
    await waitFor(everyEventPublished, 'the backlog published', 30_000);
    const [{ last_seq: lastSeq }] = await sql(`SELECT last_seq::int FROM event_sequence`);
    // The log's first 1 000 events: earlier test files may have pruned or erased some.
    const firstKept = (await sql(`SELECT seq::int FROM events ORDER BY seq LIMIT 1000`)).map(
      (row: { seq: number }) => row.seq,
    );

    const bystander = await connect(stack.api.url);
    const behind = await connect(stack.api.url, { last_seq: 0 });
    const resync = new Promise<any>((resolve) => behind.socket.once('resync', resolve));
    const postedAt = Date.now();
    const customer = await createCustomer(stack.api);
    const [live] = await bystander.waitForEvents(1, (event) => event.data?.id === customer.id);
    const liveLatencyMs = Date.now() - postedAt;

    process.stdout.write(`bystander got a live event ${liveLatencyMs} ms after the POST\n`);
    // Unbounded, the replay of the whole backlog held this event back for about 8 s.
    expect(liveLatencyMs).toBeLessThan(2_500);

    const { seq, live_after: liveAfter } = await resync;
    const replayed = behind.events.filter((event) => event.type !== undefined);
    const beforeResync = replayed.filter((event) => event.seq <= seq);
    process.stdout.write(
      `far-behind resume over ${lastSeq} events: ${beforeResync.length} replayed, ` +
        `resync at ${seq} (live after ${liveAfter})\n`,
    );
    expect(beforeResync.map((event) => event.seq)).toEqual(firstKept);
    expect(seq).toBe(firstKept[999]);
    expect(liveAfter).toBeGreaterThanOrEqual(lastSeq);
    // Then only live events: nothing between the resync seq and where live delivery starts.
    expect(replayed.filter((event) => event.seq > seq && event.seq <= liveAfter)).toEqual([]);
    expect(live.type).toBe('customer.created');
    // GET /api/events continues exactly where the replay stopped.
    const next = await stack.api.request('GET', `/api/events?after=${seq}&limit=1`);
    const [{ seq: following }] = await sql(
      `SELECT seq::int FROM events WHERE seq > $1 ORDER BY seq LIMIT 1`,
      [seq],
    );
    expect(next.body.data[0].seq).toBe(following);
  });
});
