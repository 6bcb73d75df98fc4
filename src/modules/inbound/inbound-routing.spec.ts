import type { ResolvedSender } from '../senders/sender-directory';
import {
  claimKeys,
  decodeStored,
  lookupKeys,
  noSenderError,
  RouteKey,
  routeKeyOf,
  routeSender,
} from './inbound-routing';

function sender(
  id: string,
  channel: ResolvedSender['channel'],
  settings: Record<string, unknown>,
  source: ResolvedSender['source'] = 'api',
): ResolvedSender {
  return {
    id,
    channel,
    name: id,
    source,
    status: 'enabled',
    rateLimitPerSecond: 10,
    settings,
    canSend: true,
    version: 1,
  };
}

const json = (body: unknown) => JSON.stringify(body);
const whatsappFor = (phoneNumberId: string) =>
  json({ entry: [{ changes: [{ value: { metadata: { phone_number_id: phoneNumberId } } }] }] });

describe('routeKeyOf', () => {
  it('reads the first phone_number_id of a WhatsApp notification', () => {
    expect(
      routeKeyOf('whatsapp', decodeStored('application/json', whatsappFor('111')), null),
    ).toEqual({
      channel: 'whatsapp',
      phoneNumberId: '111',
    });
  });

  it('reads AccountSid and To of an incoming SMS, From of a status callback', () => {
    const form = decodeStored(
      'application/x-www-form-urlencoded',
      'AccountSid=AC1&To=%2B15550001&From=%2B15550002',
    );
    expect(routeKeyOf('sms', form, null)).toEqual({
      channel: 'sms',
      accountSid: 'AC1',
      ours: '+15550001',
    });
    expect(routeKeyOf('sms_status', form, null)).toMatchObject({ ours: '+15550002' });
  });

  it('collects the recipients of an email from To, Cc and the envelope, lower-cased', () => {
    const form = decodeStored(
      'multipart/form-data',
      json({
        to: 'Support <Support@Shop.example>',
        cc: 'a@x.example, "B" <b@x.example>',
        envelope: json({ to: ['Sales@shop.example'], from: 'c@y.example' }),
      }),
    );
    expect(routeKeyOf('email', form, null)).toEqual({
      channel: 'email',
      recipients: ['support@shop.example', 'a@x.example', 'b@x.example', 'sales@shop.example'],
    });
  });

  it('gives an empty key for an unreadable payload', () => {
    expect(routeKeyOf('whatsapp', decodeStored('application/json', '{nope'), null)).toEqual({
      channel: 'whatsapp',
      phoneNumberId: null,
    });
  });
});

describe('routeSender', () => {
  const environment = sender('env', 'whatsapp', { appSecret: 's' }, 'environment');
  const first = sender('a', 'whatsapp', { phoneNumberId: '111' });
  const second = sender('b', 'whatsapp', { phoneNumberId: '222' });

  it('takes the API sender that claims the number', () => {
    const key = { channel: 'whatsapp', phoneNumberId: '222' } as const;
    expect(routeSender(key, [first, second, environment], environment)?.id).toBe('b');
  });

  it('falls back to the environment sender only when it is given (inbound configured)', () => {
    const key = { channel: 'whatsapp', phoneNumberId: '333' } as const;
    expect(routeSender(key, [first, environment], environment)?.id).toBe('env');
    expect(routeSender(key, [first, environment], undefined)).toBeUndefined();
  });

  it('picks the account sender whose from is the To number, else its messaging service', () => {
    const byNumber = sender('n', 'sms', { accountSid: 'AC1', fromNumber: '+1555' });
    const byService = sender('s', 'sms', { accountSid: 'AC1', messagingServiceSid: 'MG1' });
    const otherAccount = sender('o', 'sms', { accountSid: 'AC2', fromNumber: '+1555' });
    const senders = [otherAccount, byService, byNumber];
    const route = (accountSid: string, ours: string) =>
      routeSender({ channel: 'sms', accountSid, ours }, senders, undefined)?.id;
    expect(route('AC1', '+1555')).toBe('n');
    expect(route('AC1', '+1999')).toBe('s');
    expect(route('AC2', '+1555')).toBe('o');
    expect(route('AC3', '+1555')).toBeUndefined();
  });

  it('routes an email by any recipient in a mailbox’s inbound addresses', () => {
    const support = sender('support', 'email', { inboundAddresses: ['support@shop.example'] });
    const sales = sender('sales', 'email', { inboundAddresses: ['sales@shop.example'] });
    const key: RouteKey = { channel: 'email', recipients: ['x@y.example', 'sales@shop.example'] };
    expect(routeSender(key, [support, sales], undefined)?.id).toBe('sales');
  });

  it('takes the web sender the URL names, and none for an unknown id', () => {
    const web = sender('w', 'web', { secret: 'k' });
    const webEnvironment = sender('we', 'web', { secret: 'e' }, 'environment');
    const route = (senderId: string | null) =>
      routeSender({ channel: 'web', senderId }, [web, webEnvironment], webEnvironment)?.id;
    expect(route('w')).toBe('w');
    expect(route('nope')).toBeUndefined();
    expect(route(null)).toBe('we');
  });
});

describe('claimKeys and lookupKeys', () => {
  it('index a sender under what a route key looks up', () => {
    const mailbox = sender('m', 'email', { inboundAddresses: ['Support@Shop.example'] });
    const key: RouteKey = { channel: 'email', recipients: ['x@y.example', 'support@shop.example'] };
    expect(lookupKeys(key)).toContain(claimKeys(mailbox)[0]);
    const account = sender('a', 'sms', { accountSid: 'AC1', fromNumber: '+1555' });
    expect(claimKeys(account)).toEqual(
      lookupKeys({ channel: 'sms', accountSid: 'AC1', ours: '+1999' }),
    );
  });
});

describe('noSenderError', () => {
  it('names what the webhook was for', () => {
    expect(noSenderError({ channel: 'whatsapp', phoneNumberId: '333' })).toBe(
      'no sender for whatsapp phone_number_id 333',
    );
    expect(noSenderError({ channel: 'sms', accountSid: 'AC3', ours: '+1555' })).toBe(
      'no sender for sms AccountSid AC3 To +1555',
    );
  });
});
