import { randomBytes } from 'node:crypto';
import { sql } from './support/db';
import {
  expectKeptUnreadable,
  expectRefused,
  fixture,
  postWeb,
  useInboundApi,
} from './support/inbound-webhooks';

describe('Inbound web webhook, Standard Webhooks signed (real API and Postgres)', () => {
  const api = useInboundApi();

  const visitor = () => `visitor-${randomBytes(6).toString('hex')}`;

  it('stores the sample: a customer by external_id with name and email, and the message', async () => {
    const sample = fixture('web/message.json');
    const response = await postWeb(api, sample);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('processed');
    const [customer] = await sql('SELECT * FROM customers WHERE external_id = $1', [
      sample.external_id,
    ]);
    expect(customer).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
    const [message] = await sql('SELECT * FROM messages WHERE customer_id = $1', [customer.id]);
    expect(message).toMatchObject({
      channel: 'web',
      body: sample.body,
      provider_message_id: 'web-msg-0001',
    });
  });

  it('still creates the customer when the email already belongs to someone else', async () => {
    const taken = `taken-${randomBytes(4).toString('hex')}@example.com`;
    await api.request('POST', '/api/customers', { email: taken });
    const externalId = visitor();
    expect(
      (await postWeb(api, { external_id: externalId, email: taken, body: 'hi' })).body.status,
    ).toBe('processed');
    const [customer] = await sql('SELECT email FROM customers WHERE external_id = $1', [
      externalId,
    ]);
    expect(customer.email).toBeNull();
  });

  it('uses webhook-id as the message id: a retry with a new timestamp stores nothing new', async () => {
    const payload = { external_id: visitor(), body: 'Where is my parcel?' };
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const first = await postWeb(api, payload, { id });
    const retry = await postWeb(api, payload, { id, at: new Date(Date.now() + 30_000) });
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(await sql('SELECT id FROM messages WHERE provider_message_id = $1', [id])).toHaveLength(
      1,
    );
  });

  it('stores two identical texts from one visitor, sent as two webhooks, as two messages', async () => {
    const payload = { external_id: visitor(), body: 'ok' };
    const first = await postWeb(api, payload);
    const second = await postWeb(api, payload);
    expect([first.body.status, second.body.status]).toEqual(['processed', 'processed']);
    expect(second.body.event_id).not.toBe(first.body.event_id);
    const messages = await sql(
      `SELECT m.body FROM messages m JOIN customers c ON c.id = m.customer_id
        WHERE c.external_id = $1`,
      [payload.external_id],
    );
    expect(messages.map((m) => m.body)).toEqual(['ok', 'ok']);
  });

  it('dedupes by message_id when given, whatever the webhook-id and the body', async () => {
    const externalId = visitor();
    const messageId = `web-${randomBytes(8).toString('hex')}`;
    const first = await postWeb(api, {
      external_id: externalId,
      body: 'hi',
      message_id: messageId,
    });
    const resent = await postWeb(api, {
      external_id: externalId,
      body: 'hi',
      message_id: messageId,
    });
    const edited = await postWeb(api, {
      external_id: externalId,
      body: 'hi!',
      message_id: messageId,
    });
    expect([first, resent, edited].map((r) => r.body.status)).toEqual([
      'processed',
      'processed',
      'processed',
    ]);
    const stored = await sql('SELECT body FROM messages WHERE provider_message_id = $1', [
      messageId,
    ]);
    expect(stored).toEqual([{ body: 'hi' }]);
  });

  it.each([
    ['a stale timestamp', { at: new Date(Date.now() - 10 * 60_000) }, /too old/],
    ['a future timestamp', { at: new Date(Date.now() + 10 * 60_000) }, /too new/],
    [
      'another secret',
      { secret: `whsec_${randomBytes(32).toString('base64')}` },
      /No matching signature/,
    ],
    ['no signature', { headers: { 'webhook-signature': '' } }, /webhook-signature missing/],
  ])('answers 401 for %s and stores nothing', async (_, options, message) => {
    await expectRefused(postWeb(api, { external_id: visitor(), body: 'x' }, options), 401, message);
  });

  it.each([
    ['no external_id', { body: 'x' }, 'body.external_id is required'],
    ['no body', { external_id: 'v1' }, 'body.body is required'],
    [
      'a bad email',
      { external_id: 'v1', body: 'x', email: 'nope' },
      'body.email must be an email address',
    ],
    ['a numeric body', { external_id: 'v1', body: { text: 'x' } }, 'body.body must be a string'],
  ])(
    'answers 400 for %s, naming the field, and keeps it for replay',
    async (_, payload, message) => {
      await expectKeptUnreadable(postWeb(api, payload), new RegExp(`^${message}`));
    },
  );
});
