import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageIds, parseAddress, parseHeaderBlock } from './email-headers';
import { parseInboundEmail } from './inbound-email.parser';
import { expectLinear, HOSTILE_PATTERNS } from '../../../test/support/hostile-text';

const sendgrid = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/sendgrid/inbound-parse.json'), 'utf8'),
);
const multipart = { contentType: 'multipart/form-data', headers: {}, defaultCountry: 'US' };
const json = { ...multipart, contentType: 'application/json' };

describe('email headers', () => {
  it('unfolds header lines and reads message ids', () => {
    const headers = parseHeaderBlock(
      'Message-ID: <a@x>\r\nReferences: <r1@x>\r\n <r2@x>\r\nSubject: Hi',
    );
    expect(headers.get('message-id')).toEqual(['<a@x>']);
    expect(messageIds(headers.get('references'))).toEqual(['<r1@x>', '<r2@x>']);
    expect(messageIds('bare@x')).toEqual(['<bare@x>']);
  });

  it.each([
    ['"Bob Smith" <Bob@Example.com>', { name: 'Bob Smith', address: 'Bob@Example.com' }],
    ['Bob <bob@example.com>', { name: 'Bob', address: 'bob@example.com' }],
    ['bob@example.com', { name: null, address: 'bob@example.com' }],
    ['not an address', null],
  ])('parses the address %p', (value, expected) => {
    expect(parseAddress(value)).toEqual(expected);
  });

  it.each(Object.entries({ ...HOSTILE_PATTERNS, 'one header repeated': 'X: y\n' }))(
    'stays linear on %s in a header block, an address or a References list',
    (_, unit) => {
      expectLinear(parseHeaderBlock, unit);
      expectLinear(parseAddress, unit);
      expectLinear((text) => parseAddress(`"${text}" <${text}@x>`), unit);
      expectLinear(messageIds, unit);
    },
  );
});

describe('parseInboundEmail', () => {
  it('maps the documented SendGrid Inbound Parse fields', () => {
    const [message] = parseInboundEmail(sendgrid, multipart).messages;
    expect(message).toMatchObject({
      channel: 'email',
      providerMessageId: '<CAN_P_JMvV7ZpAQhOnDienypLrJmuhN=LQWweu4yScw4jQyXY2w@mail.gmail.com>',
      sender: { key: 'email', value: 'test@example.com', name: 'Example User' },
      body: 'Hello SendGrid!',
      subject: 'Test #1',
      inReplyTo: [],
    });
    expect(message.metadata).toMatchObject({
      to: 'test@test.example.com',
      envelope: { to: ['test@test.example.com'], from: 'test@example.com' },
      attachments: [{ filename: 'receipt.png', type: 'image/png' }],
      quoted_text: null,
    });
  });

  it('threads by In-Reply-To first, then References newest first, and splits the quote', () => {
    const headers = `${sendgrid.headers}In-Reply-To: <b@shop>\nReferences: <a@shop>\n <b@shop>\n`;
    const text =
      'Tuesday is fine.\n\nOn Mon, 3 Mar 2025, Shop <help@shop> wrote:\n> Does Tuesday work?';
    const [message] = parseInboundEmail({ ...sendgrid, headers, text }, multipart).messages;
    expect(message.inReplyTo).toEqual(['<b@shop>', '<a@shop>']);
    expect(message.body).toBe('Tuesday is fine.');
    expect(message.metadata.quoted_text).toMatch(/^On Mon.*\n> Does Tuesday work\?$/);
  });

  it('maps the contract JSON form', () => {
    const [message] = parseInboundEmail(
      {
        from: 'Ann <ANN@example.com>',
        to: 'help@shop.example',
        subject: 'Re: Order',
        text: 'Thanks',
        message_id: 'm1@example.com',
        in_reply_to: '<ours@shop.example>',
        references: ['<older@shop.example>', '<ours@shop.example>'],
      },
      json,
    ).messages;
    expect(message).toMatchObject({
      providerMessageId: '<m1@example.com>',
      sender: { key: 'email', value: 'ann@example.com', name: 'Ann' },
      body: 'Thanks',
      inReplyTo: ['<ours@shop.example>', '<older@shop.example>'],
    });
  });

  it.each([
    ['no from', { to: 'a@b', text: 't', message_id: 'm' }, 'body.from is required'],
    [
      'a junk from',
      { from: 'nobody', to: 'a@b', text: 't', message_id: 'm' },
      'body.from must be an email address',
    ],
    ['no message_id', { from: 'a@b', to: 'a@b', text: 't' }, 'body.message_id is required'],
    ['no text', { from: 'a@b', to: 'a@b', message_id: 'm' }, 'body.text is required'],
  ])('refuses JSON with %s', (_, body, message) => {
    expect(() => parseInboundEmail(body, json)).toThrow(message);
  });

  it.each(Object.entries(HOSTILE_PATTERNS))(
    'reads a whole form of %s in linear time',
    (_, unit) => {
      expectLinear(
        (text) =>
          parseInboundEmail(
            { ...sendgrid, text: undefined, html: text, headers: `References: ${text}\n` },
            multipart,
          ),
        unit,
      );
      expectLinear((text) => parseInboundEmail({ ...sendgrid, text }, multipart), unit);
    },
  );

  it('looks up at most the 50 nearest ancestors of a long References list', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `<r${i}@x>`).join(' ');
    const headers = `In-Reply-To: <parent@x>\nReferences: ${ids}\n`;
    const [message] = parseInboundEmail({ ...sendgrid, headers }, multipart).messages;
    expect(message.inReplyTo).toHaveLength(50);
    expect(message.inReplyTo.slice(0, 3)).toEqual(['<parent@x>', '<r4999@x>', '<r4998@x>']);
  });

  it('refuses a form with a broken envelope', () => {
    expect(() => parseInboundEmail({ ...sendgrid, envelope: '{nope' }, multipart)).toThrow(
      'form.envelope must be a JSON object',
    );
  });
});

describe('parseInboundEmail on a long text', () => {
  it('reads the first 256 Ki characters and says so in metadata', () => {
    const text = 'x'.repeat(300 * 1024);
    const [message] = parseInboundEmail({ ...sendgrid, text }, multipart).messages;
    expect(message.body).toHaveLength(256 * 1024);
    expect(message.metadata.text_truncated_at).toBe(256 * 1024);
  });
});
