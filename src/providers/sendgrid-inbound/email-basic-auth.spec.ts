import { isValidBasicAuth } from './email-basic-auth';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('isValidBasicAuth', () => {
  it('accepts the secret as password with any user name', () => {
    expect(isValidBasicAuth(basic('sendgrid:s3cret'), 's3cret')).toBe(true);
    expect(isValidBasicAuth(basic(':s3cret'), 's3cret')).toBe(true);
    expect(isValidBasicAuth(basic('u:pass:with:colons'), 'pass:with:colons')).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['a wrong password', basic('sendgrid:nope')],
    ['the secret as user name', basic('s3cret:')],
    ['a bearer token', 'Bearer s3cret'],
    ['no colon', basic('s3cret')],
  ])('rejects %s', (_, header) => {
    expect(isValidBasicAuth(header, 's3cret')).toBe(false);
  });
});
