import { randomBytes } from 'node:crypto';
import { sql } from './support/db';
import { createConversation } from './support/factories';
import {
  expectKeptUnreadable,
  postTwilio,
  postWeb,
  postWhatsapp,
  sentOutboundMessage,
  uniqueWaId,
  uniqueWamid,
  useInboundApi,
  whatsappStatus,
  whatsappText,
} from './support/inbound-webhooks';

const messagesByWamid = (ids: string[]) =>
  sql(
    'SELECT provider_message_id, body, metadata FROM messages WHERE provider_message_id = ANY($1)',
    [ids],
  );

describe('Verified webhooks that cannot be read, in whole or in part (real API and Postgres)', () => {
  const api = useInboundApi();

  it('WhatsApp: one unreadable message and one unreadable change cost nothing else of the batch', async () => {
    const from = uniqueWaId();
    const good = [uniqueWamid(), uniqueWamid()];
    const first = whatsappText({ from, id: good[0], body: 'first' }).entry[0].changes[0];
    const second = whatsappText({ from, id: good[1], body: 'second' }).entry[0].changes[0];
    const broken = whatsappText({ from, body: 'no id' }).entry[0].changes[0];
    delete broken.value.messages[0].id;
    const conversation = await createConversation(api, 'whatsapp');
    const wamid = uniqueWamid();
    const messageId = await sentOutboundMessage(api, conversation.id, 'whatsapp', wamid);
    const status = whatsappStatus(wamid, 'delivered', 1_750_260_000).entry[0].changes[0];
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        { id: '1', changes: [first, broken, { field: 'messages', value: [] }] },
        { id: '2', changes: { not: 'an array' } },
        { id: '3', changes: [status, second] },
      ],
    };

    const response = await postWhatsapp(api, payload);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('failed');
    expect((await messagesByWamid(good)).map((m) => m.body).sort()).toEqual(['first', 'second']);
    expect((await api.request('GET', `/api/messages/${messageId}`)).body.status).toBe('delivered');
    const event = (await api.request('GET', `/api/inbound-events/${response.body.event_id}`)).body;
    expect(event).toMatchObject({ status: 'failed', attempts: 1 });
    expect(event.error).toBe(
      'entry[0].changes[1].value.messages[0].id is required; ' +
        'entry[0].changes[2].value must be an object; entry[1].changes must be an array',
    );

    // Replayable, and a replay stores nothing twice.
    const replayed = await api.request('POST', `/api/inbound-events/${event.id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ status: 'failed', attempts: 2, error: event.error });
    expect(await messagesByWamid(good)).toHaveLength(2);
    const receipts = await sql('SELECT id FROM message_receipts WHERE provider_message_id = $1', [
      wamid,
    ]);
    expect(receipts).toHaveLength(1);
  });

  it('a payload of which nothing can be read is kept failed, answered 400, and replayable', async () => {
    const { id } = await expectKeptUnreadable(
      postWeb(api, { external_id: `v-${randomBytes(4).toString('hex')}` }),
      /^body\.body is required/,
    );
    const listed = await api.request('GET', '/api/inbound-events?status=failed&provider=web');
    expect(listed.body.data.map((e: any) => e.id)).toContain(id);
    const replayed = await api.request('POST', `/api/inbound-events/${id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'body.body is required',
    });
  });

  it('WhatsApp: types we do not model are messages with their type and raw content', async () => {
    const from = uniqueWaId();
    const typed: Record<string, unknown>[] = [
      { type: 'reaction', reaction: { message_id: uniqueWamid(), emoji: '❤️' } },
      { type: 'contacts', contacts: [{ name: { formatted_name: 'Ann' }, phones: [] }] },
      { type: 'order', order: { catalog_id: 'c-1', product_items: [{ quantity: 2 }] } },
      { type: 'system', system: { body: 'User changed number', type: 'user_changed_number' } },
      { type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown' }] },
      { type: 'location' },
      { type: 'interactive', interactive: { type: 'call_permission_reply' } },
    ];
    const payload = whatsappText({ from });
    const value = payload.entry[0].changes[0].value;
    const ids = typed.map(() => uniqueWamid());
    value.messages = typed.map((fields, index) => ({
      from,
      id: ids[index],
      timestamp: '1750260000',
      ...fields,
    }));
    const response = await postWhatsapp(api, payload);
    expect(response.body.status).toBe('processed');
    const stored = new Map(
      (await messagesByWamid(ids)).map((m) => [m.provider_message_id, m] as const),
    );
    const rows = ids.map((id) => stored.get(id)!);
    expect(rows.map((m) => [m.metadata.type, m.body])).toEqual([
      ['reaction', '❤️'],
      ['contacts', null],
      ['order', null],
      ['system', 'User changed number'],
      ['unsupported', null],
      ['location', null],
      ['interactive', null],
    ]);
    expect(rows[1].metadata.contacts).toEqual(typed[1].contacts);
    expect(rows[2].metadata.order).toEqual(typed[2].order);
    expect(rows[4].metadata.errors).toEqual(typed[4].errors);
    expect(rows[6].metadata.interactive).toEqual(typed[6].interactive);
  });

  it.each([
    ['a short code', '72345'],
    ['an alphanumeric sender ID', 'ACMEBANK'],
  ])('SMS from %s is a message from a customer keyed by that sender', async (_, from) => {
    const sid = () => `SM${randomBytes(16).toString('hex')}`;
    const sids = [sid(), sid()];
    for (const [index, MessageSid] of sids.entries()) {
      const response = await postTwilio(api, '/api/webhooks/sms', {
        MessageSid,
        AccountSid: 'ACtest',
        From: from,
        To: '+15017122661',
        Body: `Your code is ${index}`,
        NumMedia: '0',
      });
      expect(response.status).toBe(200);
    }
    const rows = await sql(
      `SELECT m.body, c.external_id, c.phone, m.conversation_id FROM messages m
         JOIN customers c ON c.id = m.customer_id
        WHERE m.provider_message_id = ANY($1) ORDER BY m.body`,
      [sids],
    );
    expect(rows.map((r) => [r.body, r.external_id, r.phone])).toEqual([
      ['Your code is 0', `sms:${from}`, null],
      ['Your code is 1', `sms:${from}`, null],
    ]);
    expect(rows[0].conversation_id).toBe(rows[1].conversation_id);
  });
});
