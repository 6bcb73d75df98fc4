import { sql } from './support/db';
import { createConversation } from './support/factories';
import { INBOUND_ENV, postTwilio, postWhatsapp, whatsappStatus } from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';

/**
 * The provider is fast and our commit slow: receipts for a message arrive while the worker still
 * waits for the send's HTTP answer. The stand-ins hold that answer while the receipts are posted
 * to our webhooks, then release it.
 */
describe('Receipts that overtake the send outcome (real worker, stand-ins holding the answer)', () => {
  let stack: OutboundStack;

  beforeAll(async () => {
    stack = await startOutboundStack({
      PUBLIC_BASE_URL: INBOUND_ENV.PUBLIC_BASE_URL,
      WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
      TWILIO_AUTH_TOKEN: INBOUND_ENV.TWILIO_AUTH_TOKEN,
      // The held answer must outlast the receipts' round trips on a loaded machine.
      OUTBOUND_HTTP_TIMEOUT_MS: '20000',
    });
  });
  afterAll(() => stack.stop());

  /**
   * Sends a message whose provider answer the stand-in holds; resolves once the provider has it,
   * with the provider's id for it (wamid or sid) and the way to release the answer.
   */
  async function sendHeld(channel: 'whatsapp' | 'sms') {
    const conversation = await createConversation(stack.api, channel);
    const held = (channel === 'whatsapp' ? stack.whatsapp : stack.twilio).holdNext();
    const message = await stack.send(conversation.id, channel);
    const { request, response } = await held.arrived;
    const answer = response.body as { sid?: string; messages?: { id: string }[] };
    const providerId = channel === 'whatsapp' ? answer.messages![0].id : answer.sid!;
    return { message, request, providerId, release: held.release };
  }

  const receipts = async (id: string) =>
    (await stack.api.request('GET', `/api/messages/${id}/receipts`)).body.data;

  async function whatsappReceipt(
    messageId: string,
    wamid: string,
    status: string,
    at: number,
    errors?: unknown[],
  ) {
    const payload = whatsappStatus(wamid, status, at, errors);
    // What Meta echoes from the send (the sender sets it to our message id).
    payload.entry[0].changes[0].value.statuses[0].biz_opaque_callback_data = messageId;
    const response = await postWhatsapp(stack.api, payload);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('processed');
  }

  it('WhatsApp: delivered and read received during the send end the message read', async () => {
    const { message, request, providerId: wamid, release } = await sendHeld('whatsapp');
    expect((request.json as any).biz_opaque_callback_data).toBe(message.id);

    await whatsappReceipt(message.id, wamid, 'delivered', 1_750_263_773);
    await whatsappReceipt(message.id, wamid, 'read', 1_750_263_780);
    // Matched to the message by the echoed id, not applied while the send is unanswered.
    expect((await stack.api.request('GET', `/api/messages/${message.id}`)).body.status).toBe(
      'sending',
    );
    expect((await receipts(message.id)).map((r: any) => [r.status, r.status_changed])).toEqual([
      ['delivered', false],
      ['read', false],
    ]);

    release();
    const done = await stack.waitForStatus(message.id, ['read']);
    expect(done).toMatchObject({
      provider_message_id: wamid,
      delivered_at: new Date(1_750_263_773_000).toISOString(),
      read_at: new Date(1_750_263_780_000).toISOString(),
    });
    expect((await receipts(message.id)).map((r: any) => [r.status, r.status_changed])).toEqual([
      ['delivered', true],
      ['read', true],
    ]);
    const events = await sql(
      `SELECT previous_status, data->>'status' AS status FROM events
        WHERE type = 'message.updated' AND data->>'id' = $1 ORDER BY id`,
      [message.id],
    );
    expect(events.slice(-2)).toEqual([
      { previous_status: 'sending', status: 'sent' },
      { previous_status: 'sent', status: 'read' },
    ]);
  });

  it('WhatsApp: a failed receipt received during the send ends the message failed', async () => {
    const { message, providerId: wamid, release } = await sendHeld('whatsapp');
    await whatsappReceipt(message.id, wamid, 'failed', 1_750_263_800);
    release();
    const done = await stack.waitForStatus(message.id, ['failed']);
    expect(done.last_error).toMatch(/^\(#131047\)/);
    expect(done.provider_message_id).toBe(wamid);
  });

  it('Twilio: StatusCallbacks received during the send (matched by sid) end it delivered', async () => {
    const { message, providerId: sid, release } = await sendHeld('sms');
    for (const status of ['sent', 'delivered']) {
      const answer = await postTwilio(stack.api, '/api/webhooks/sms/status', {
        MessageSid: sid,
        MessageStatus: status,
        AccountSid: 'AC00000000000000000000000000000001',
      });
      expect(answer.status).toBe(200);
    }
    const kept = await sql(
      'SELECT message_id, held FROM message_receipts WHERE provider_message_id = $1 ORDER BY id',
      [sid],
    );
    expect(kept).toEqual([
      { message_id: null, held: true },
      { message_id: null, held: true },
    ]);

    release();
    const done = await stack.waitForStatus(message.id, ['delivered']);
    expect(done.provider_message_id).toBe(sid);
    expect((await receipts(message.id)).map((r: any) => [r.status, r.status_changed])).toEqual([
      ['sent', false],
      ['delivered', true],
    ]);
  });

  it('Twilio: an undelivered StatusCallback received during the send ends it failed', async () => {
    const { message, providerId: sid, release } = await sendHeld('sms');
    await postTwilio(stack.api, '/api/webhooks/sms/status', {
      MessageSid: sid,
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
    });
    release();
    const done = await stack.waitForStatus(message.id, ['failed']);
    expect(done.last_error).toBe('Twilio reported undelivered (error 30003)');
  });
});
