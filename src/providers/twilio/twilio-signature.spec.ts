import { isValidTwilioSignature } from './twilio-signature';

describe('isValidTwilioSignature (vectors from PROVIDERS.md §3.6)', () => {
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = (x: string) => ({
    CallSid: 'CA1234567890ABCDE',
    Caller: x,
    Digits: '1234',
    From: x,
    To: '+18005551212',
  });
  const zeros = '0'.repeat(32);
  const sms = {
    AccountSid: `AC${zeros}`,
    Body: 'Hello',
    From: '+15551230000',
    MessageSid: `SM${zeros}`,
    NumMedia: '0',
    To: '+15559870000',
  };

  it.each([
    ['Twilio docs', '+14158675310', 'GvWf1cFY/Q7PnoempGyD5oXAezc='],
    ['twilio-node tests', '+14158675309', 'RSOYDt4T1cUTdK1PDd93/VVr8B8='],
  ])('accepts the %s vector', (_, caller, signature) => {
    expect(isValidTwilioSignature('12345', signature, url, params(caller))).toBe(true);
  });

  it('accepts the inbound-SMS vector, with or without the default port', () => {
    const signature = '1Sdly/+TBYDuMIjY28TfQaleTBQ=';
    expect(
      isValidTwilioSignature(
        'test_auth_token',
        signature,
        'https://example.com/webhooks/twilio/sms',
        sms,
      ),
    ).toBe(true);
    expect(
      isValidTwilioSignature(
        'test_auth_token',
        signature,
        'https://example.com:443/webhooks/twilio/sms',
        sms,
      ),
    ).toBe(true);
  });

  it.each([
    [
      'a tampered param',
      'test_auth_token',
      'https://example.com/webhooks/twilio/sms',
      { ...sms, Body: 'Hello!' },
    ],
    ['a wrong token', 'other_token', 'https://example.com/webhooks/twilio/sms', sms],
    ['http instead of https', 'test_auth_token', 'http://example.com/webhooks/twilio/sms', sms],
    ['a trailing slash', 'test_auth_token', 'https://example.com/webhooks/twilio/sms/', sms],
  ])('rejects %s', (_, token, signedUrl, signedParams) => {
    expect(
      isValidTwilioSignature(token, '1Sdly/+TBYDuMIjY28TfQaleTBQ=', signedUrl, signedParams),
    ).toBe(false);
  });
});
