import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTwilioInboundSms, parseTwilioStatusCallback } from './twilio-sms.parser';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/twilio', name), 'utf8'));
const context = {
  contentType: 'application/x-www-form-urlencoded',
  headers: {},
  defaultCountry: 'US',
};

describe('Twilio parsers', () => {
  it('maps an inbound SMS', () => {
    const [message] = parseTwilioInboundSms(fixture('inbound-sms.json'), context).messages;
    expect(message).toEqual({
      path: 'form',
      channel: 'sms',
      providerMessageId: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
      sender: { key: 'phone', value: '+15558675310', name: undefined },
      body: 'Hello from my phone',
      subject: null,
      metadata: { to: '+15017122661', num_segments: 1 },
      inReplyTo: [],
    });
  });

  it('keeps MMS media URLs and their types', () => {
    const [message] = parseTwilioInboundSms(fixture('inbound-mms.json'), context).messages;
    expect(message.metadata.media).toEqual([
      { url: expect.stringMatching(/Media\/ME0a1b/), content_type: 'image/jpeg' },
      { url: expect.stringMatching(/Media\/ME1b2c/), content_type: 'image/png' },
    ]);
  });

  it.each([
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['undelivered', 'failed'],
    ['failed', 'failed'],
    ['queued', null],
    ['sending', null],
    ['accepted', null],
    ['scheduled', null],
  ])('maps MessageStatus %s to %p', (providerStatus, status) => {
    const [receipt] = parseTwilioStatusCallback({
      ...fixture('status-callback.json'),
      MessageStatus: providerStatus,
      ...(status === 'failed' ? { ErrorCode: '30003' } : {}),
    }).receipts;
    expect(receipt).toMatchObject({
      providerStatus,
      status,
      providerMessageId: 'SM2f6a9e5d4c3b2a1f0e9d8c7b6a5f4e3d',
    });
    expect(receipt.errorCode).toBe(status === 'failed' ? '30003' : null);
    if (status === 'failed')
      expect(receipt.error).toBe(`Twilio reported ${providerStatus} (error 30003)`);
  });

  it('refuses a form without MessageSid or From, naming the field', () => {
    const { MessageSid: _sid, ...noSid } = fixture('inbound-sms.json');
    expect(() => parseTwilioInboundSms(noSid, context)).toThrow('form.MessageSid is required');
    expect(() =>
      parseTwilioInboundSms({ ...noSid, MessageSid: 'SM1', From: 'not a sender!' }, context),
    ).toThrow('form.From must be a phone number, a short code or an alphanumeric sender ID');
    expect(() => parseTwilioStatusCallback({ MessageSid: 'SM1' })).toThrow(
      'form.MessageStatus is required',
    );
  });

  it.each([
    ['a short code', '72345'],
    ['an alphanumeric sender ID', 'ACMEBANK'],
  ])('keys %s by the sender string, as external_id "sms:…"', (_, from) => {
    const { messages } = parseTwilioInboundSms(
      { ...fixture('inbound-sms.json'), From: from },
      context,
    );
    expect(messages[0].sender).toEqual({ key: 'externalId', value: `sms:${from}` });
  });
});
