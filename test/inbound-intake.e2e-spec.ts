import { ApiHarness, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import {
  INBOUND_ENV,
  postWeb,
  postWhatsapp,
  uniqueWaId,
  whatsappText,
} from './support/inbound-webhooks';
import { testEnv } from './support/test-env';
import {
  InboundMessageEvents,
  InboundMessageReceived,
} from '../src/modules/inbound/inbound-message.events';

/** Durable intake: every verified webhook is kept raw first; a failure keeps it for replay. */
describe('Inbound intake, failure and replay (real API and Postgres)', () => {
  const auth = { authorization: 'Bearer intake-key' };
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi(testEnv({ ...INBOUND_ENV, API_KEYS: 'intake-key' }));
  });

  afterAll(async () => {
    await sql('DROP TRIGGER IF EXISTS refuse_marked_body ON messages');
    await api.close();
    await closeDb();
  });

  /** The database refuses one insert: any message whose body is `marker`. */
  async function refuseBody(marker: string) {
    await sql(`
      CREATE OR REPLACE FUNCTION refuse_marked_body() RETURNS trigger AS $$
      BEGIN
        IF NEW.body = '${marker}' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await sql(`CREATE OR REPLACE TRIGGER refuse_marked_body BEFORE INSERT ON messages
               FOR EACH ROW EXECUTE FUNCTION refuse_marked_body()`);
  }
  const allowBodies = () => sql('DROP TRIGGER IF EXISTS refuse_marked_body ON messages');
  const rowsFor = async (phone: string) => ({
    customers: await sql('SELECT id FROM customers WHERE phone = $1', [phone]),
    messages: await sql(
      'SELECT m.id FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.phone = $1',
      [phone],
    ),
  });

  it('keeps a webhook whose processing failed with its error, answers 200, and replays it exactly once', async () => {
    const from = uniqueWaId();
    const marker = `refuse-me-${from}`;
    const payload = whatsappText({ from, body: marker });
    await refuseBody(marker);
    const response = await postWhatsapp(api, payload);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('failed');

    const [event] = await sql('SELECT * FROM inbound_events WHERE id = $1', [
      response.body.event_id,
    ]);
    expect(event).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'refused by test trigger',
    });
    // One transaction: not even the customer or conversation of the refused message remain.
    expect(await rowsFor(`+${from}`)).toEqual({ customers: [], messages: [] });

    await allowBodies();
    const replayed = await api.request(
      'POST',
      `/api/inbound-events/${event.id}/replay`,
      undefined,
      auth,
    );
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({
      id: event.id,
      status: 'processed',
      attempts: 2,
      error: null,
    });
    expect((await rowsFor(`+${from}`)).messages).toHaveLength(1);

    const again = await api.request(
      'POST',
      `/api/inbound-events/${event.id}/replay`,
      undefined,
      auth,
    );
    expect(again.status).toBe(409);
    expect((await postWhatsapp(api, payload)).status).toBe(200);
    expect((await rowsFor(`+${from}`)).messages).toHaveLength(1);
  });

  it('processes a failed event again when the provider redelivers the same bytes', async () => {
    const from = uniqueWaId();
    const marker = `refuse-redelivery-${from}`;
    const payload = whatsappText({ from, body: marker });
    await refuseBody(marker);
    const first = await postWhatsapp(api, payload);
    expect(first.body.status).toBe('failed');
    await allowBodies();
    const redelivered = await postWhatsapp(api, payload);
    expect(redelivered.body).toEqual({ event_id: first.body.event_id, status: 'processed' });
    expect((await rowsFor(`+${from}`)).messages).toHaveLength(1);
  });

  it('replays the failed events of a time window, oldest first', async () => {
    const marker = `refuse-window-${Date.now()}`;
    const froms = [uniqueWaId(), uniqueWaId()];
    const since = new Date(Date.now() - 1000).toISOString();
    await refuseBody(marker);
    const ids: string[] = [];
    for (const from of froms)
      ids.push((await postWhatsapp(api, whatsappText({ from, body: marker }))).body.event_id);
    await allowBodies();

    const replayed = await api.request(
      'POST',
      `/api/inbound-events/replay?from=${since}`,
      undefined,
      auth,
    );
    expect(replayed.status).toBe(200);
    expect(
      replayed.body.data.filter((e: any) => ids.includes(e.id)).map((e: any) => [e.id, e.status]),
    ).toEqual(ids.map((id) => [id, 'processed']));
    for (const from of froms) expect((await rowsFor(`+${from}`)).messages).toHaveLength(1);
    const failed = await api.request(
      'GET',
      '/api/inbound-events?status=failed&provider=whatsapp',
      undefined,
      auth,
    );
    expect(failed.body.data.map((e: any) => e.id)).not.toEqual(expect.arrayContaining(ids));
  });

  it('keeps replay behind the API key, while webhooks need none', async () => {
    const event = (await postWeb(api, { external_id: `v-${uniqueWaId()}`, body: 'hello' })).body;
    expect(event.status).toBe('processed');
    const unauthorized = await api.request('POST', `/api/inbound-events/${event.event_id}/replay`);
    expect(unauthorized.status).toBe(401);
    const fetched = await api.request(
      'GET',
      `/api/inbound-events/${event.event_id}`,
      undefined,
      auth,
    );
    expect(fetched.body).toMatchObject({
      id: event.event_id,
      provider: 'web',
      status: 'processed',
    });
    expect(Object.keys(fetched.body.headers)).toEqual(
      expect.arrayContaining(['webhook-id', 'webhook-timestamp']),
    );
    expect(Object.keys(fetched.body.headers)).not.toContain('webhook-signature');
  });

  it.each([
    ['an unknown id', 404, '/api/inbound-events/0190b1d2-0000-7000-8000-000000000000/replay'],
    ['a malformed id', 400, '/api/inbound-events/nope/replay'],
    ['a window without from', 400, '/api/inbound-events/replay'],
    ['a window with a bad from', 400, '/api/inbound-events/replay?from=yesterday'],
  ])('answers %s with %i', async (_, status, path) => {
    expect((await api.request('POST', path, undefined, auth)).status).toBe(status);
  });

  it('publishes each newly stored inbound message in-process, once', async () => {
    const seen: InboundMessageReceived[] = [];
    const unsubscribe = api.app.get(InboundMessageEvents).subscribe((event) => seen.push(event));
    try {
      const payload = {
        external_id: `v-${uniqueWaId()}`,
        body: 'ping',
        message_id: `m-${uniqueWaId()}`,
      };
      await postWeb(api, payload);
      await postWeb(api, payload);
      const [row] = await sql(
        'SELECT id, conversation_id, customer_id FROM messages WHERE provider_message_id = $1',
        [payload.message_id],
      );
      expect(seen).toEqual([
        {
          messageId: row.id,
          conversationId: row.conversation_id,
          customerId: row.customer_id,
          channel: 'web',
        },
      ]);
    } finally {
      unsubscribe();
    }
  });
});
