import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWhatsappNotification } from './whatsapp-notification.parser';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/whatsapp', name), 'utf8'));
const context = { contentType: 'application/json', headers: {}, defaultCountry: 'US' };
const parse = (body: unknown) => parseWhatsappNotification(body, context);

describe('parseWhatsappNotification', () => {
  it('maps the documented text message', () => {
    const { messages, receipts } = parse(fixture('text-message.json'));
    expect(receipts).toEqual([]);
    expect(messages).toEqual([
      {
        path: 'entry[0].changes[0].value.messages[0]',
        channel: 'whatsapp',
        providerMessageId: 'wamid.HBgLMTIzNDU2Nzg5MAUCABEYEjEyMzQ1Njc4OTAxMjM0NTY3AA==',
        sender: { key: 'phone', value: '+16315551234', name: 'Kerry Fisher' },
        body: 'Hello World',
        subject: null,
        metadata: {
          type: 'text',
          provider_timestamp: '2023-03-15T17:27:14.000Z',
          phone_number_id: '106540352242922',
          display_phone_number: '15550001111',
        },
        inReplyTo: [],
      },
    ]);
  });

  it('keeps type, caption and media id of the other message types', () => {
    const { messages } = parse(fixture('typed-messages.json'));
    expect(messages.map((m) => [m.metadata.type, m.body])).toEqual([
      ['image', 'Black jacket, size M'],
      ['audio', null],
      ['document', 'Invoice for March'],
      ['location', null],
      ['interactive', 'Change'],
      ['interactive', 'Express Shipping'],
      ['button', 'Stop promotions'],
    ]);
    expect(messages[0].metadata).toMatchObject({
      caption: 'Black jacket, size M',
      media_id: '1003383421387256',
      mime_type: 'image/jpeg',
    });
    expect(messages[2].metadata).toMatchObject({
      media_id: '1003383421387258',
      filename: 'invoice-0312.pdf',
    });
    expect(messages[3].metadata.location).toMatchObject({
      latitude: 37.483307,
      name: 'Main Office',
    });
    expect(messages[4].metadata).toMatchObject({
      interactive_type: 'button_reply',
      reply: { id: 'change-button', title: 'Change' },
      context: { id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA' },
    });
    expect(messages[6].metadata.reply).toEqual({
      payload: 'unsubscribe-promotions',
      text: 'Stop promotions',
    });
  });

  it('maps statuses to receipts, keeping the error of a failed one and our echoed id', () => {
    expect(parse(fixture('status-failed.json')).receipts).toEqual([
      {
        channel: 'whatsapp',
        providerMessageId: 'wamid.HBgMOTE5MDk2MDUzOTcwFQIAERgSMDhFNzkzQ0QzQUMzQTVGQjA2AA==',
        messageRef: 'our-msg-uuid',
        path: 'entry[0].changes[0].value.statuses[0]',
        providerStatus: 'failed',
        status: 'failed',
        providerTimestamp: new Date(1698903217 * 1000),
        errorCode: '131047',
        error:
          '(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      },
    ]);
    expect(parse(fixture('status-delivered.json')).receipts[0]).toMatchObject({
      messageRef: null,
      status: 'delivered',
      errorCode: null,
      error: null,
    });
  });

  it('reads every entry and change of a batch and skips other fields', () => {
    const text = fixture('text-message.json');
    const status = fixture('status-failed.json');
    const batch = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [text.entry[0].changes[0], { field: 'account_update', value: { event: 'X' } }],
        },
        { id: '2', changes: [status.entry[0].changes[0], text.entry[0].changes[0]] },
      ],
    };
    const { messages, receipts } = parse(batch);
    expect(messages).toHaveLength(2);
    expect(receipts).toHaveLength(1);
  });

  it.each([
    ['another object', { object: 'page', entry: [] }, 'object must be "whatsapp_business_account"'],
    ['no entry', { object: 'whatsapp_business_account' }, 'entry must be an array'],
  ])('refuses %s, naming the field', (_, body, message) => {
    expect(() => parse(body)).toThrow(message);
  });

  it.each([
    [
      'a message without from',
      {
        ...fixture('text-message.json'),
        entry: [
          {
            changes: [
              {
                field: 'messages',
                value: { messages: [{ id: 'x', type: 'text', text: { body: 'b' } }] },
              },
            ],
          },
        ],
      },
      'entry[0].changes[0].value.messages[0].from is required',
    ],
    [
      'a text without body',
      {
        object: 'whatsapp_business_account',
        entry: [
          {
            changes: [
              {
                field: 'messages',
                value: { messages: [{ from: '16315551234', id: 'x', type: 'text', text: {} }] },
              },
            ],
          },
        ],
      },
      'entry[0].changes[0].value.messages[0].text.body is required',
    ],
    [
      'a junk sender',
      {
        object: 'whatsapp_business_account',
        entry: [
          {
            changes: [
              {
                field: 'messages',
                value: { messages: [{ from: 'abc', id: 'x', type: 'text', text: { body: 'b' } }] },
              },
            ],
          },
        ],
      },
      'entry[0].changes[0].value.messages[0].from must be a phone number',
    ],
  ])('reports %s as a problem naming the field, storing nothing of it', (_, body, message) => {
    expect(parse(body)).toEqual({ messages: [], receipts: [], problems: [message] });
  });

  it('keeps the readable parts of a batch with unreadable ones, naming each by its path', () => {
    const text = fixture('text-message.json').entry[0].changes[0];
    const status = fixture('status-delivered.json').entry[0].changes[0];
    const noFrom = structuredClone(text);
    delete noFrom.value.messages[0].from;
    const batch = parse({
      object: 'whatsapp_business_account',
      entry: [
        { changes: [noFrom, text, { field: 'messages', value: 'junk' }] },
        { changes: 'junk' },
        { changes: [status] },
      ],
    });
    expect(batch.messages).toHaveLength(1);
    expect(batch.receipts.map((r) => r.path)).toEqual(['entry[2].changes[0].value.statuses[0]']);
    expect(batch.problems).toEqual([
      'entry[0].changes[0].value.messages[0].from is required',
      'entry[0].changes[2].value must be an object',
      'entry[1].changes must be an array',
    ]);
  });

  it('stores types it does not model with their raw content', () => {
    const message = (type: string, content?: unknown) => ({
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                messages: [
                  { from: '16315551234', id: `wamid.${type}`, type, timestamp: '1', ...content! },
                ],
              },
            },
          ],
        },
      ],
    });
    const parsed = [
      message('reaction', { reaction: { message_id: 'wamid.X', emoji: '👍' } }),
      message('order', { order: { catalog_id: 'c1', product_items: [{ quantity: 1 }] } }),
      message('system', { system: { body: 'Number changed', type: 'user_changed_number' } }),
      message('unsupported', { errors: [{ code: 131051, title: 'Message type unknown' }] }),
      message('location'),
      message('ephemeral_poll', { ephemeral_poll: 'anything' }),
    ].map((body) => {
      const batch = parse(body);
      expect(batch.problems).toEqual([]);
      return batch.messages[0];
    });
    expect(parsed.map((m) => [m.metadata.type, m.body])).toEqual([
      ['reaction', '👍'],
      ['order', null],
      ['system', 'Number changed'],
      ['unsupported', null],
      ['location', null],
      ['ephemeral_poll', null],
    ]);
    expect(parsed[1].metadata.order).toEqual({
      catalog_id: 'c1',
      product_items: [{ quantity: 1 }],
    });
    expect(parsed[3].metadata.errors).toEqual([{ code: 131051, title: 'Message type unknown' }]);
    expect(parsed[5].metadata.ephemeral_poll).toBe('anything');
  });
});
