import { randomBytes } from 'node:crypto';
import { pngBytes, sha256 } from './support/attachment-files';
import { sql } from './support/db';
import {
  basicAuth,
  fixture,
  INBOUND_ENV,
  sendgridForm,
  twilioSignature,
  uniqueWaId,
  webHeaders,
  whatsappImage,
  whatsappSignature,
  whatsappText,
} from './support/inbound-webhooks';
import { startOutboundStack, type OutboundStack } from './support/outbound-stack';
import { waitFor } from './support/wait-for';
import { newWebhookSecret } from './stand-ins/web-webhook-stand-in';
import { startWhatsappStandIn, type WhatsappStandIn } from './stand-ins/whatsapp-stand-in';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Several numbers, accounts, mailboxes and endpoints per channel, each webhook landing on its own
 * sender. The environment configures WhatsApp sending only (no WHATSAPP_APP_SECRET): a number no
 * API sender claims has no sender at all.
 */
describe('Inbound routing per sender (real API, worker and Postgres)', () => {
  let stack: OutboundStack;
  /** Two WhatsApp numbers, each its own Graph API stand-in with its own token. */
  let numberA: WhatsappStandIn;
  let numberB: WhatsappStandIn;
  const whatsappA = { id: '', phone: `20${hex(4).replace(/\D/g, '1')}`, secret: `a-${hex(8)}` };
  const whatsappB = { id: '', phone: `30${hex(4).replace(/\D/g, '2')}`, secret: `b-${hex(8)}` };

  beforeAll(async () => {
    [numberA, numberB] = await Promise.all([
      startWhatsappStandIn({ accessToken: 'token-a', phoneNumberId: whatsappA.phone }),
      startWhatsappStandIn({ accessToken: 'token-b', phoneNumberId: whatsappB.phone }),
    ]);
    stack = await startOutboundStack({
      PUBLIC_BASE_URL: INBOUND_ENV.PUBLIC_BASE_URL,
      EMAIL_WEBHOOK_SECRET: INBOUND_ENV.EMAIL_WEBHOOK_SECRET,
      OUTBOUND_HTTP_TIMEOUT_MS: '10000',
    });
    whatsappA.id = await createWhatsappSender(numberA, whatsappA);
    whatsappB.id = await createWhatsappSender(numberB, whatsappB);
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([numberA?.close(), numberB?.close()]);
  });

  async function createSender(channel: string, config: Record<string, unknown>) {
    const response = await stack.api.request('POST', '/api/senders', {
      channel,
      name: `${channel} ${hex(3)}`,
      config,
    });
    expect(response.status).toBe(201);
    return response.body.id as string;
  }

  function createWhatsappSender(
    standIn: WhatsappStandIn,
    number: { phone: string; secret: string },
  ) {
    return createSender('whatsapp', {
      phone_number_id: number.phone,
      access_token: standIn === numberA ? 'token-a' : 'token-b',
      app_secret: number.secret,
      graph_api_url: `${standIn.url}/v23.0`,
    });
  }

  /** A WhatsApp notification to one of our numbers, signed with `secret`. */
  function postWhatsappTo(phoneNumberId: string, payload: any, secret: string) {
    payload.entry[0].changes[0].value.metadata.phone_number_id = phoneNumberId;
    const raw = JSON.stringify(payload);
    return stack.api.request('POST', '/api/webhooks/whatsapp', raw, {
      'content-type': 'application/json',
      'x-hub-signature-256': whatsappSignature(raw, secret),
    });
  }

  async function conversationOf(column: 'phone' | 'email' | 'external_id', value: string) {
    const [row] = await sql(
      `SELECT conversation.* FROM conversations conversation
         JOIN customers customer ON customer.id = conversation.customer_id
        WHERE customer.${column} = $1`,
      [value],
    );
    return row;
  }

  describe('WhatsApp', () => {
    it('puts each number’s customers on a conversation of that number’s sender', async () => {
      const [fromA, fromB] = [uniqueWaId(), uniqueWaId()];
      const toA = await postWhatsappTo(
        whatsappA.phone,
        whatsappText({ from: fromA }),
        whatsappA.secret,
      );
      const toB = await postWhatsappTo(
        whatsappB.phone,
        whatsappText({ from: fromB }),
        whatsappB.secret,
      );
      expect([toA.body.status, toB.body.status]).toEqual(['processed', 'processed']);
      expect((await conversationOf('phone', `+${fromA}`)).sender_id).toBe(whatsappA.id);
      expect((await conversationOf('phone', `+${fromB}`)).sender_id).toBe(whatsappB.id);
      const [event] = await sql('SELECT sender_id FROM inbound_events WHERE id = $1', [
        toB.body.event_id,
      ]);
      expect(event.sender_id).toBe(whatsappB.id);
    });

    it('refuses a webhook for one number signed with the other number’s app secret', async () => {
      const response = await postWhatsappTo(
        whatsappB.phone,
        whatsappText({ from: uniqueWaId() }),
        whatsappA.secret,
      );
      expect(response.status).toBe(401);
      expect(response.body.message).toBe('X-Hub-Signature-256 does not match the body');
    });

    it('keeps a webhook for an unknown number failed, and a replay stores it once its sender exists', async () => {
      const unknown = `40${hex(4).replace(/\D/g, '3')}`;
      const from = uniqueWaId();
      const response = await postWhatsappTo(unknown, whatsappText({ from }), whatsappA.secret);
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('failed');
      const [kept] = await sql('SELECT status, error FROM inbound_events WHERE id = $1', [
        response.body.event_id,
      ]);
      expect(kept).toEqual({
        status: 'failed',
        error: `no sender for whatsapp phone_number_id ${unknown}`,
      });
      expect(await conversationOf('phone', `+${from}`)).toBeUndefined();

      const created = await createSender('whatsapp', {
        phone_number_id: unknown,
        access_token: 'token-c',
        app_secret: whatsappA.secret,
      });
      const replayed = await stack.api.request(
        'POST',
        `/api/inbound-events/${response.body.event_id}/replay`,
      );
      expect(replayed.status).toBe(200);
      expect(replayed.body.status).toBe('processed');
      expect((await conversationOf('phone', `+${from}`)).sender_id).toBe(created);
    });

    it('sends the reply to a message that came in on number B through number B', async () => {
      const from = uniqueWaId();
      await postWhatsappTo(whatsappB.phone, whatsappText({ from }), whatsappB.secret);
      const conversation = await conversationOf('phone', `+${from}`);
      const reply = await stack.send(conversation.id, 'whatsapp', { body: 'answer from B' });
      expect(reply.sender_id).toBe(whatsappB.id);
      const [stored] = await sql('SELECT sender_id FROM messages WHERE id = $1', [reply.id]);
      expect(stored.sender_id).toBe(whatsappB.id);
      const received = await waitFor(
        () => numberB.accepted.find((request) => request.path.endsWith('/messages')),
        "the reply at number B's stand-in",
      );
      expect(received.path).toBe(`/v23.0/${whatsappB.phone}/messages`);
      expect(numberA.accepted.filter((request) => request.path.endsWith('/messages'))).toEqual([]);
    });

    it('fetches a customer’s image with the token of the number it came in on', async () => {
      const png = pngBytes();
      const mediaId = numberB.addMedia({ bytes: png, mimeType: 'image/png' });
      const from = uniqueWaId();
      numberA.reset();
      numberB.reset();
      const response = await postWhatsappTo(
        whatsappB.phone,
        whatsappImage(from, mediaId, png),
        whatsappB.secret,
      );
      expect(response.body.status).toBe('processed');
      const stored = await waitFor(async () => {
        const [row] = await sql(
          `SELECT a.status, a.sha256 FROM attachments a
             JOIN message_attachments link ON link.attachment_id = a.id
             JOIN messages m ON m.id = link.message_id
             JOIN customers c ON c.id = m.customer_id
            WHERE c.phone = $1`,
          [`+${from}`],
        );
        return row?.status === 'stored' ? row : undefined;
      }, 'the image stored');
      expect(stored.sha256).toBe(sha256(png));
      // The stand-in of number B accepts only token-b; number A's saw nothing.
      const mediaPaths = (standIn: typeof numberA) =>
        standIn.accepted
          .map((request) => request.path)
          .filter((path) => !path.endsWith('/messages'));
      expect(mediaPaths(numberB)).toEqual([`/v23.0/${mediaId}`, `/whatsapp-media/${mediaId}`]);
      expect(mediaPaths(numberA)).toEqual([]);
    });

    it('answers the subscribe handshake with any WhatsApp sender’s verify token', async () => {
      const token = `verify-${hex(6)}`;
      await createSender('whatsapp', {
        phone_number_id: `50${hex(4).replace(/\D/g, '5')}`,
        access_token: 'token-d',
        app_secret: `d-${hex(8)}`,
        verify_token: token,
      });
      const response = await stack.api.request(
        'GET',
        `/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=42`,
      );
      expect(response.status).toBe(200);
      expect(response.text).toBe('42');
    });
  });

  describe('Twilio', () => {
    const accountOne = { sid: `AC${hex(16)}`, token: `one-${hex(8)}`, from: '+15550001001' };
    const accountTwo = { sid: `AC${hex(16)}`, token: `two-${hex(8)}`, service: `MG${hex(16)}` };
    const ids = { one: '', two: '' };

    beforeAll(async () => {
      ids.one = await createSender('sms', {
        account_sid: accountOne.sid,
        auth_token: accountOne.token,
        from: accountOne.from,
      });
      ids.two = await createSender('sms', {
        account_sid: accountTwo.sid,
        auth_token: accountTwo.token,
        messaging_service_sid: accountTwo.service,
      });
    });

    function postSms(params: Record<string, string>, token: string) {
      const path = '/api/webhooks/sms';
      return stack.api.request('POST', path, new URLSearchParams(params).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(path, params, token),
      });
    }

    const sms = (accountSid: string, to: string, from: string) => ({
      ...fixture('twilio/inbound-sms.json'),
      MessageSid: `SM${hex(16)}`,
      AccountSid: accountSid,
      To: to,
      From: from,
    });

    it('routes by AccountSid and To, each signed with its account’s auth token', async () => {
      const [customerOne, customerTwo] = ['+15557770101', `+1555${String(Date.now()).slice(-7)}`];
      const one = await postSms(
        sms(accountOne.sid, accountOne.from, customerOne),
        accountOne.token,
      );
      // Account two has no number of its own: its messaging service takes any To.
      const two = await postSms(sms(accountTwo.sid, '+15550009999', customerTwo), accountTwo.token);
      expect([one.status, two.status]).toEqual([200, 200]);
      expect((await conversationOf('phone', customerOne)).sender_id).toBe(ids.one);
      expect((await conversationOf('phone', customerTwo)).sender_id).toBe(ids.two);
    });

    it('refuses a webhook of one account signed with the other’s auth token', async () => {
      const response = await postSms(
        sms(accountOne.sid, accountOne.from, '+15557770102'),
        accountTwo.token,
      );
      expect(response.status).toBe(403);
    });
  });

  describe('email', () => {
    const support = `support-${hex(4)}@shop.example`;
    const sales = `sales-${hex(4)}@shop.example`;
    const ids = { support: '', sales: '' };

    beforeAll(async () => {
      for (const [name, address] of [
        ['support', support],
        ['sales', sales],
      ] as const) {
        ids[name] = await createSender('email', {
          from_address: address,
          host: '127.0.0.1',
          port: 2525,
        });
      }
    });

    async function postEmailTo(recipient: { to: string; envelopeTo: string }, from: string) {
      const fields: Record<string, string> = {
        from: `Customer <${from}>`,
        to: recipient.to,
        subject: 'Question',
        text: 'Hello',
        headers: `Message-ID: <${hex(8)}@mail.example>\n`,
        envelope: JSON.stringify({ to: [recipient.envelopeTo], from }),
      };
      const form = await sendgridForm(fields);
      return stack.api.request('POST', '/api/webhooks/email', form.body, {
        'content-type': form.contentType,
        authorization: basicAuth(),
      });
    }

    it('routes each mailbox’s mail by recipient: To, or the envelope when To is a list', async () => {
      const [first, second] = [`c1-${hex(4)}@example.com`, `c2-${hex(4)}@example.com`];
      await postEmailTo({ to: `Support <${support.toUpperCase()}>`, envelopeTo: support }, first);
      await postEmailTo({ to: 'all-staff@shop.example', envelopeTo: sales }, second);
      expect((await conversationOf('email', first)).sender_id).toBe(ids.support);
      expect((await conversationOf('email', second)).sender_id).toBe(ids.sales);
    });
  });

  describe('web', () => {
    const secrets = { first: newWebhookSecret(), second: newWebhookSecret() };
    const ids = { first: '', second: '' };

    beforeAll(async () => {
      ids.first = await createSender('web', { url: 'http://127.0.0.1:9/a', secret: secrets.first });
      ids.second = await createSender('web', {
        url: 'http://127.0.0.1:9/b',
        secret: secrets.second,
      });
    });

    function postWebTo(senderId: string, payload: unknown, secret: string) {
      const raw = JSON.stringify(payload);
      return stack.api.request(
        'POST',
        `/api/webhooks/web/${senderId}`,
        raw,
        webHeaders(raw, { secret }),
      );
    }

    it('stores what arrives at /api/webhooks/web/{sender_id} on that sender', async () => {
      const [first, second] = [`v-${hex(6)}`, `v-${hex(6)}`];
      const a = await postWebTo(ids.first, { external_id: first, body: 'hi' }, secrets.first);
      const b = await postWebTo(ids.second, { external_id: second, body: 'hi' }, secrets.second);
      expect([a.body.status, b.body.status]).toEqual(['processed', 'processed']);
      expect((await conversationOf('external_id', first)).sender_id).toBe(ids.first);
      expect((await conversationOf('external_id', second)).sender_id).toBe(ids.second);
    });

    it('refuses a webhook signed with another web sender’s secret, and an unknown sender', async () => {
      const payload = { external_id: `v-${hex(6)}`, body: 'hi' };
      expect((await postWebTo(ids.first, payload, secrets.second)).status).toBe(401);
      const unknown = '7d3f0b8e-0000-4000-8000-000000000099';
      expect((await postWebTo(unknown, payload, secrets.first)).status).toBe(404);
    });
  });
});
