import { sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import {
  OutboundStack,
  startOutboundStack,
  TWILIO_SID,
  TWILIO_TOKEN,
  WHATSAPP_TOKEN,
} from './support/outbound-stack';

describe('Outbound delivery per channel (real worker process, provider stand-ins)', () => {
  let stack: OutboundStack;

  beforeAll(async () => {
    stack = await startOutboundStack();
  });
  afterAll(() => stack.stop());

  it('WhatsApp: sends the Cloud API text request once and stores the wamid', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    const customer = (await stack.api.request('GET', `/api/customers/${conversation.customer_id}`))
      .body;
    const message = await stack.send(conversation.id, 'whatsapp', { body: 'Your table is ready' });

    const sent = await stack.waitForStatus(message.id, ['sent']);
    const [request] = await stack.whatsapp.waitForAccepted(1);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v23.0/106540352242922/messages');
    expect(request.headers.authorization).toBe(`Bearer ${WHATSAPP_TOKEN}`);
    expect(request.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: customer.phone.slice(1),
      type: 'text',
      text: { preview_url: false, body: 'Your table is ready' },
      biz_opaque_callback_data: message.id,
    });
    expect(sent.provider_message_id).toBe(stack.whatsapp.messageIds[0]);
    expect(sent.sent_at).not.toBeNull();
    expect(sent.attempt_count).toBe(1);
    const attempts = (await stack.api.request('GET', `/api/messages/${message.id}/attempts`)).body
      .data;
    expect(attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'sent', http_status: 200, error: null }),
    ]);
    expect(stack.whatsapp.accepted).toHaveLength(1);
  });

  it('WhatsApp: sends a template message as a Cloud API template', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    const template = {
      name: 'order_update',
      language: 'en_US',
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'John' }] }],
    };
    stack.whatsapp.reset();
    const message = await stack.send(conversation.id, 'whatsapp', { body: undefined, template });
    await stack.waitForStatus(message.id, ['sent']);
    const [request] = await stack.whatsapp.waitForAccepted(1);
    expect(request.json).toMatchObject({
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: template.components,
      },
    });
  });

  it('SMS: posts the Twilio form with Basic auth and StatusCallback, and stores the sid', async () => {
    const conversation = await createConversation(stack.api, 'sms');
    const customer = (await stack.api.request('GET', `/api/customers/${conversation.customer_id}`))
      .body;
    const message = await stack.send(conversation.id, 'sms', { body: 'Code: 1234' });

    const sent = await stack.waitForStatus(message.id, ['sent']);
    const [request] = await stack.twilio.waitForAccepted(1);
    expect(request.path).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
    expect(request.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`,
    );
    expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(request.form).toEqual({
      To: customer.phone,
      From: '+15005550006',
      Body: 'Code: 1234',
      StatusCallback: 'https://messaging.example.com/api/webhooks/sms/status',
    });
    expect(sent.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.provider_message_id).toBe((request.response?.body as any).sid);
  });

  it('email: delivers over SMTP with our Message-ID, parsed back by mailparser', async () => {
    const customer = await createCustomer(stack.api);
    const conversation = await createConversation(stack.api, 'email', {
      customer_id: customer.id,
      subject: 'Your order #1001',
    });
    const message = await stack.send(conversation.id, 'email', { body: 'It ships tomorrow.' });

    const sent = await stack.waitForStatus(message.id, ['sent']);
    const [mail] = await stack.smtp.waitForMessages(1);
    expect(mail.envelope).toEqual({ from: 'support@shop.example.com', to: [customer.email] });
    expect(mail.parsed.subject).toBe('Your order #1001');
    expect(mail.parsed.text?.trim()).toBe('It ships tomorrow.');
    expect(mail.parsed.from?.value).toEqual([
      { address: 'support@shop.example.com', name: 'Shop Support' },
    ]);
    expect(mail.parsed.messageId).toBe(`<${message.id}@shop.example.com>`);
    expect(sent.provider_message_id).toBe(`<${message.id}@shop.example.com>`);
  });

  it('web: posts a Standard Webhooks-signed JSON event whose webhook-id is the message id', async () => {
    const customer = await createCustomer(stack.api, { external_id: `visitor-${Date.now()}` });
    const conversation = await createConversation(stack.api, 'web', { customer_id: customer.id });
    const message = await stack.send(conversation.id, 'web', { body: 'Hi from support' });

    const sent = await stack.waitForStatus(message.id, ['sent']);
    const [request] = await stack.web.waitForAccepted(1);
    expect(request.path).toBe('/hooks/messages');
    expect(request.headers['webhook-id']).toBe(message.id);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(request.json).toMatchObject({
      type: 'message.created',
      data: { id: message.id, conversation_id: conversation.id, body: 'Hi from support' },
    });
    expect(sent.provider_message_id).toBe(message.id);
  });

  it('fails at once, readably, when the customer has no address on the channel', async () => {
    const customer = await createCustomer(stack.api, { email: undefined });
    const conversation = await createConversation(stack.api, 'email', { customer_id: customer.id });
    const message = await stack.send(conversation.id, 'email');
    const failed = await stack.waitForStatus(message.id, ['failed']);
    expect(failed.last_error).toBe('no recipient: the customer has no email address');
    expect(failed.attempt_count).toBe(1);
    const [row] = await sql('SELECT outcome FROM message_attempts WHERE message_id = $1', [
      message.id,
    ]);
    expect(row.outcome).toBe('permanent_error');
  });
});
