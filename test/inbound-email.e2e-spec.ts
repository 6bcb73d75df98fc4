import { randomBytes } from 'node:crypto';
import { sql } from './support/db';
import { createConversation, createCustomer, uniqueEmail } from './support/factories';
import {
  basicAuth,
  expectKeptUnreadable,
  expectRefused,
  fixture,
  postEmailJson,
  postSendgrid,
  useInboundApi,
} from './support/inbound-webhooks';

describe('Inbound email webhook (real API and Postgres)', () => {
  const api = useInboundApi();

  const messageId = () => `<${randomBytes(8).toString('hex')}@mail.example.com>`;

  it('stores the documented SendGrid Inbound Parse sample, attachment drained, its name kept', async () => {
    const sample = fixture('sendgrid/inbound-parse.json');
    const attachment = new Blob([randomBytes(200_000)], { type: 'image/png' });
    const response = await postSendgrid(api, sample, {}, { attachment1: attachment });
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('processed');

    const [customer] = await sql('SELECT * FROM customers WHERE email = $1', ['test@example.com']);
    expect(customer.name).toBe('Example User');
    const [message] = await sql('SELECT * FROM messages WHERE customer_id = $1', [customer.id]);
    expect(message).toMatchObject({
      channel: 'email',
      body: 'Hello SendGrid!',
      subject: 'Test #1',
      provider_message_id: '<CAN_P_JMvV7ZpAQhOnDienypLrJmuhN=LQWweu4yScw4jQyXY2w@mail.gmail.com>',
    });
    expect(message.metadata.attachments).toEqual([{ filename: 'receipt.png', type: 'image/png' }]);
    const [conversation] = await sql('SELECT * FROM conversations WHERE id = $1', [
      message.conversation_id,
    ]);
    expect(conversation).toMatchObject({ channel: 'email', status: 'open', subject: 'Test #1' });
  });

  it('stores a redelivery (another multipart boundary) once', async () => {
    const fields = { ...fixture('sendgrid/inbound-parse.json'), from: `Sam <${uniqueEmail()}>` };
    fields.headers = fields.headers.replace(/Message-ID: <[^>]+>/, `Message-ID: ${messageId()}`);
    const responses = [await postSendgrid(api, fields), await postSendgrid(api, fields)];
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(responses[1].body.event_id).toBe(responses[0].body.event_id);
    const address = fields.from.slice(5, -1);
    expect(
      await sql(
        'SELECT m.id FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.email = $1',
        [address],
      ),
    ).toHaveLength(1);
  });

  it('accepts the contract JSON form, keeping the quoted history apart', async () => {
    const from = uniqueEmail();
    const response = await postEmailJson(api, {
      from: `Jo <${from.toUpperCase()}>`,
      to: 'help@shop.example',
      subject: 'Question',
      text: 'Is it in stock?\n\nOn Mon, 3 Mar 2025, Shop <help@shop.example> wrote:\n> Hello!',
      message_id: messageId(),
    });
    expect(response.status).toBe(200);
    const [message] = await sql(
      'SELECT m.* FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.email = $1',
      [from],
    );
    expect(message.body).toBe('Is it in stock?');
    expect(message.metadata.quoted_text).toBe(
      'On Mon, 3 Mar 2025, Shop <help@shop.example> wrote:\n> Hello!',
    );
  });

  describe('threading', () => {
    /** An email we sent, as the email sender leaves it: Message-ID <id@MAIL_FROM domain>. */
    async function sentEmail() {
      const customer = await createCustomer(api);
      const conversation = await createConversation(api, 'email', {
        customer_id: customer.id,
        subject: 'Order 42',
      });
      const created = await api.request('POST', '/api/messages', {
        conversation_id: conversation.id,
        direction: 'outbound',
        channel: 'email',
        body: 'Your order shipped',
      });
      const ours = `<${created.body.id}@shop.example>`;
      await sql(`UPDATE messages SET status = 'sent', provider_message_id = $2 WHERE id = $1`, [
        created.body.id,
        ours,
      ]);
      return { customer, conversation, ours };
    }

    it('puts a reply to an email we sent into its conversation, even from another address', async () => {
      const { customer, conversation, ours } = await sentEmail();
      const alias = uniqueEmail();
      const fields = {
        ...fixture('sendgrid/inbound-parse.json'),
        from: `Colleague <${alias}>`,
        subject: 'Re: Order 42',
        text: 'Thanks!\n\n> Your order shipped',
        headers: `Message-ID: ${messageId()}\nIn-Reply-To: ${ours}\nReferences: ${ours}\nSubject: Re: Order 42\n`,
      };
      expect((await postSendgrid(api, fields)).body.status).toBe('processed');
      const rows = await sql(
        `SELECT * FROM messages WHERE conversation_id = $1 AND direction = 'inbound'`,
        [conversation.id],
      );
      expect(rows).toEqual([
        expect.objectContaining({ customer_id: customer.id, body: 'Thanks!' }),
      ]);
      expect(await sql('SELECT id FROM customers WHERE email = $1', [alias])).toHaveLength(0);
    });

    it('threads through References too, and opens a new conversation when the thread is closed', async () => {
      const { customer, conversation, ours } = await sentEmail();
      await api.request('PATCH', `/api/conversations/${conversation.id}`, { status: 'closed' });
      const response = await postEmailJson(api, {
        from: customer.email,
        to: 'help@shop.example',
        subject: 'Re: Order 42',
        text: 'One more thing',
        message_id: messageId(),
        references: `<unknown@elsewhere> ${ours}`,
      });
      expect(response.body.status).toBe('processed');
      const conversations = await sql(
        `SELECT id, status FROM conversations WHERE customer_id = $1 AND channel = 'email' ORDER BY id`,
        [customer.id],
      );
      expect(conversations.map((c) => c.status)).toEqual(['closed', 'open']);
      const [reply] = await sql(
        `SELECT conversation_id FROM messages WHERE body = 'One more thing' AND customer_id = $1`,
        [customer.id],
      );
      expect(reply.conversation_id).toBe(conversations[1].id);
    });
  });

  describe('authentication and malformed payloads: refused, nothing stored', () => {
    const valid = () => ({
      from: uniqueEmail(),
      to: 'help@shop.example',
      subject: 's',
      text: 't',
      message_id: messageId(),
    });

    it('answers 401 without or with wrong Basic credentials, with a challenge', async () => {
      const missing = await expectRefused(
        postEmailJson(api, valid(), { authorization: '' }),
        401,
        /HTTP Basic/,
      );
      expect(missing.headers.get('www-authenticate')).toMatch(/^Basic/);
      await expectRefused(
        postEmailJson(api, valid(), { authorization: basicAuth('wrong') }),
        401,
        /HTTP Basic/,
      );
      await expectRefused(
        postSendgrid(api, fixture('sendgrid/inbound-parse.json'), {
          authorization: basicAuth('wrong'),
        }),
        401,
        /HTTP Basic/,
      );
    });

    it('answers 415 for another content type, 400 for broken JSON or missing fields (those kept)', async () => {
      await expectRefused(
        api.request('POST', '/api/webhooks/email', 'from=a', {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuth(),
        }),
        415,
        /multipart\/form-data or application\/json/,
      );
      await expectRefused(
        api.request('POST', '/api/webhooks/email', '{"from":', {
          'content-type': 'application/json',
          authorization: basicAuth(),
        }),
        400,
        /JSON/,
      );
      const { message_id: _, ...noId } = valid();
      await expectKeptUnreadable(postEmailJson(api, noId), /body.message_id is required/);
      const { from: __, ...noFrom } = fixture('sendgrid/inbound-parse.json');
      await expectKeptUnreadable(postSendgrid(api, noFrom), /form.from is required/);
    });
  });
});
