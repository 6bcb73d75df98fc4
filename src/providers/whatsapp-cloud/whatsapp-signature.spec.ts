import { isValidWhatsappSignature } from './whatsapp-signature';

describe('isValidWhatsappSignature (vectors from PROVIDERS.md §2.4)', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
  const valid = 'sha256=02fe0c96d28c59ddb7cf81eff0ca05809b360ba73b63c28210b5906a0a107d1f';

  it('accepts the documented HMAC of "test" under "secret"', () => {
    const header = 'sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914';
    expect(isValidWhatsappSignature('secret', Buffer.from('test'), header)).toBe(true);
  });

  it('accepts the app-secret vector, in either hex case', () => {
    expect(isValidWhatsappSignature('app_secret_123', body, valid)).toBe(true);
    expect(
      isValidWhatsappSignature(
        'app_secret_123',
        body,
        valid.toUpperCase().replace('SHA256', 'sha256'),
      ),
    ).toBe(true);
  });

  it.each([
    ['a missing header', undefined],
    ['an empty header', ''],
    ['no sha256= prefix', valid.slice(7)],
    ['a truncated digest', valid.slice(0, -2)],
    ['a sha1 header', 'sha1=0329a06b62cd16b33eb6792be8c60b158d89a2ee'],
  ])('rejects %s', (_, header) => {
    expect(isValidWhatsappSignature('app_secret_123', body, header)).toBe(false);
  });

  it('rejects a wrong secret and a re-serialized body', () => {
    expect(isValidWhatsappSignature('other_secret', body, valid)).toBe(false);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(isValidWhatsappSignature('app_secret_123', reserialized, valid)).toBe(false);
  });
});
