import { randomBytes } from 'node:crypto';
import { sql } from './support/db';
import { createConversation } from './support/factories';
import {
  expectKeptUnreadable,
  expectRefused,
  fixture,
  inboundEventCount,
  postTwilio,
  postWhatsapp,
  sentOutboundMessage,
  twilioSignature,
  uniqueWaId,
  useInboundApi,
  whatsappText,
} from './support/inbound-webhooks';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const sid = (prefix = 'SM') => `${prefix}${randomBytes(16).toString('hex')}`;

describe('Inbound Twilio SMS webhooks (real API and Postgres)', () => {
  const api = useInboundApi();

  const messagesBySid = (id: string) =>
    sql('SELECT * FROM messages WHERE provider_message_id = $1', [id]);

  it('stores the documented inbound SMS and answers empty TwiML as text/xml', async () => {
    const sample = fixture('twilio/inbound-sms.json');
    const response = await postTwilio(api, '/api/webhooks/sms', sample);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(response.text).toBe(EMPTY_TWIML);

    const [message] = await messagesBySid(sample.MessageSid);
    expect(message).toMatchObject({
      channel: 'sms',
      direction: 'inbound',
      status: 'received',
      body: 'Hello from my phone',
    });
    expect(message.metadata).toMatchObject({ to: '+15017122661', num_segments: 1 });
    const [customer] = await sql('SELECT * FROM customers WHERE id = $1', [message.customer_id]);
    expect(customer.phone).toBe('+15558675310');
    const [conversation] = await sql('SELECT * FROM conversations WHERE id = $1', [
      message.conversation_id,
    ]);
    expect(conversation).toMatchObject({
      channel: 'sms',
      status: 'open',
      customer_id: customer.id,
    });
  });

  it('keeps MMS media URLs in metadata', async () => {
    const sample = {
      ...fixture('twilio/inbound-mms.json'),
      MessageSid: sid('MM'),
      From: `+${uniqueWaId()}`,
    };
    expect((await postTwilio(api, '/api/webhooks/sms', sample)).status).toBe(200);
    const [message] = await messagesBySid(sample.MessageSid);
    expect(message.metadata.media).toEqual([
      { url: sample.MediaUrl0, content_type: 'image/jpeg' },
      { url: sample.MediaUrl1, content_type: 'image/png' },
    ]);
  });

  it('makes WhatsApp and SMS from one phone one customer, with one conversation per channel', async () => {
    const waId = uniqueWaId();
    await postWhatsapp(api, whatsappText({ from: waId, name: 'Same Person' }));
    await postTwilio(api, '/api/webhooks/sms', {
      ...fixture('twilio/inbound-sms.json'),
      MessageSid: sid(),
      From: `+${waId}`,
    });
    const customers = await sql('SELECT id, name FROM customers WHERE phone = $1', [`+${waId}`]);
    expect(customers).toEqual([{ id: expect.any(String), name: 'Same Person' }]);
    const conversations = await sql(
      'SELECT channel FROM conversations WHERE customer_id = $1 ORDER BY channel',
      [customers[0].id],
    );
    expect(conversations.map((c) => c.channel)).toEqual(['sms', 'whatsapp']);
  });

  it('stores a redelivered message once', async () => {
    const sample = {
      ...fixture('twilio/inbound-sms.json'),
      MessageSid: sid(),
      From: `+${uniqueWaId()}`,
    };
    for (let i = 0; i < 3; i++)
      expect((await postTwilio(api, '/api/webhooks/sms', sample)).text).toBe(EMPTY_TWIML);
    expect(await messagesBySid(sample.MessageSid)).toHaveLength(1);
  });

  describe('X-Twilio-Signature (computed with the twilio package)', () => {
    const params = () => ({
      ...fixture('twilio/inbound-sms.json'),
      MessageSid: sid(),
      From: `+${uniqueWaId()}`,
    });

    it.each([
      ['missing', () => ({ 'x-twilio-signature': '' }), /missing/],
      [
        'made with another token',
        (p: Record<string, string>) => ({
          'x-twilio-signature': twilioSignature('/api/webhooks/sms', p, 'wrong-token'),
        }),
        /does not match/,
      ],
      [
        'made for another URL',
        (p: Record<string, string>) => ({
          'x-twilio-signature': twilioSignature('/api/webhooks/sms/status', p),
        }),
        /does not match/,
      ],
      [
        'made over other params',
        (p: Record<string, string>) => ({
          'x-twilio-signature': twilioSignature('/api/webhooks/sms', { ...p, Body: 'tampered' }),
        }),
        /does not match/,
      ],
    ])('answers 403 for a signature %s and stores nothing', async (_, headers, message) => {
      const p = params();
      await expectRefused(postTwilio(api, '/api/webhooks/sms', p, headers(p)), 403, message);
      expect(await messagesBySid(p.MessageSid)).toHaveLength(0);
    });

    it('answers 415 for JSON (storing nothing) and 400 naming a missing field (kept for replay)', async () => {
      const before = await inboundEventCount();
      const json = await api.request('POST', '/api/webhooks/sms', params());
      expect(json.status).toBe(415);
      expect(json.body.message).toMatch(/application\/x-www-form-urlencoded/);
      const { MessageSid: _, ...noSid } = params();
      expect(await inboundEventCount()).toBe(before);
      await expectKeptUnreadable(
        postTwilio(api, '/api/webhooks/sms', noSid),
        /^form.MessageSid is required/,
      );
    });
  });

  describe('StatusCallback receipts', () => {
    async function sentSms() {
      const conversation = await createConversation(api, 'sms');
      const messageSid = sid();
      return {
        id: await sentOutboundMessage(api, conversation.id, 'sms', messageSid),
        sid: messageSid,
      };
    }
    const callback = (messageSid: string, status: string, extra: Record<string, string> = {}) => ({
      ...fixture('twilio/status-callback.json'),
      MessageSid: messageSid,
      SmsSid: messageSid,
      MessageStatus: status,
      SmsStatus: status,
      ...extra,
    });

    it('records queued without moving, then delivered; a late undelivered does not fail it', async () => {
      const message = await sentSms();
      for (const status of ['queued', 'delivered', 'undelivered']) {
        const extra: Record<string, string> =
          status === 'undelivered' ? { ErrorCode: '30003' } : {};
        const response = await postTwilio(
          api,
          '/api/webhooks/sms/status',
          callback(message.sid, status, extra),
        );
        expect(response.status).toBe(200);
        expect(response.text).toBe(EMPTY_TWIML);
      }
      const fetched = (await api.request('GET', `/api/messages/${message.id}`)).body;
      expect(fetched.status).toBe('delivered');
      expect(fetched.delivered_at).not.toBeNull();
      const receipts = (await api.request('GET', `/api/messages/${message.id}/receipts`)).body.data;
      expect(receipts.map((r: any) => [r.status, r.receipt_status, r.status_changed])).toEqual([
        ['queued', null, false],
        ['delivered', 'delivered', true],
        ['undelivered', 'failed', false],
      ]);
    });

    it('fails an undelivered message with the Twilio error code', async () => {
      const message = await sentSms();
      await postTwilio(
        api,
        '/api/webhooks/sms/status',
        callback(message.sid, 'undelivered', { ErrorCode: '30003' }),
      );
      const fetched = (await api.request('GET', `/api/messages/${message.id}`)).body;
      expect(fetched).toMatchObject({
        status: 'failed',
        last_error: 'Twilio reported undelivered (error 30003)',
      });
      expect(fetched.failed_at).not.toBeNull();
    });

    it('acknowledges a callback for an unknown sid', async () => {
      const response = await postTwilio(
        api,
        '/api/webhooks/sms/status',
        callback(sid(), 'delivered'),
      );
      expect(response.status).toBe(200);
    });
  });
});
