import { randomBytes } from 'node:crypto';
import { SecretBox, secretKeyProblem } from './secret-box';

const newKey = () => randomBytes(32).toString('base64');

describe('SecretBox', () => {
  const key = newKey();

  it('opens what it sealed, and never shows the plaintext', () => {
    const box = new SecretBox(key);
    const sealed = box.seal({ access_token: 'EAAG-secret-token' });
    expect(sealed).not.toContain('EAAG');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(box.open(sealed)).toEqual({ access_token: 'EAAG-secret-token' });
  });

  it('seals the same value differently each time (fresh IV)', () => {
    const box = new SecretBox(key);
    expect(box.seal({ a: '1' })).not.toBe(box.seal({ a: '1' }));
  });

  it('refuses a value altered after sealing (GCM tag)', () => {
    const box = new SecretBox(key);
    const parts = box.seal({ secret: 'abcdef' }).split('.');
    const body = Buffer.from(parts[4], 'base64url');
    body[0] ^= 1;
    parts[4] = body.toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
  });

  it('opens values sealed under the previous key during a rotation, and says they are stale', () => {
    const old = new SecretBox(key);
    const sealed = old.seal({ password: 'p' });
    const rotated = new SecretBox(newKey(), key);
    expect(rotated.open(sealed)).toEqual({ password: 'p' });
    expect(rotated.isStale(sealed)).toBe(true);
    expect(rotated.isStale(rotated.seal({ password: 'p' }))).toBe(false);
  });

  it('names both variables when no key it holds sealed the value', () => {
    const sealed = new SecretBox(newKey()).seal({ x: 'y' });
    expect(() => new SecretBox(key).open(sealed)).toThrow(
      /neither SENDER_SECRETS_KEY nor SENDER_SECRETS_KEY_PREVIOUS/,
    );
  });

  it('checks the key is 32 bytes of base64', () => {
    expect(secretKeyProblem(newKey())).toBeUndefined();
    expect(secretKeyProblem(randomBytes(16).toString('base64'))).toMatch(/32 bytes/);
    expect(secretKeyProblem('not base64 at all!')).toMatch(/32 bytes/);
  });
});
