import { hashPassword, UNMATCHABLE_HASH, verifyPassword } from './password-hash';

// Small parameters keep the suite fast; the format and the checks are the same at any cost.
const FAST = { log2N: 10, r: 8, p: 1 };

describe('password hashing (scrypt, PHC string)', () => {
  it('verifies the password it hashed and refuses any other', async () => {
    const hash = await hashPassword('correct horse battery staple', FAST);
    await expect(verifyPassword('correct horse battery staple', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapl', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  it('keeps its parameters and a fresh salt in the string, and never the password', async () => {
    const first = await hashPassword('correct horse battery staple', FAST);
    const second = await hashPassword('correct horse battery staple', FAST);
    expect(first).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(second).not.toBe(first);
    expect(first).not.toContain('horse');
  });

  it('uses the parameters stored in the hash, so older hashes keep working', async () => {
    const cheaper = await hashPassword('an older password', { log2N: 9, r: 4, p: 1 });
    await expect(verifyPassword('an older password', cheaper)).resolves.toBe(true);
  });

  it('treats the same text in another Unicode normalization as the same password', async () => {
    const hash = await hashPassword('caf\u00e9 au lait please', FAST);
    await expect(verifyPassword('cafe\u0301 au lait please', hash)).resolves.toBe(true);
  });

  it.each([
    ['not a hash', 'plain text'],
    ['another algorithm', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['a cost beyond the ceiling', '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA'],
    ['a zero cost', '$scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA'],
  ])('answers false, without throwing, for %s', async (_, hash) => {
    await expect(verifyPassword('whatever password', hash)).resolves.toBe(false);
  });

  it('runs a full-cost scrypt against the stand-in hash for unknown emails, and never matches', async () => {
    const started = process.hrtime.bigint();
    await expect(verifyPassword('', UNMATCHABLE_HASH)).resolves.toBe(false);
    await expect(verifyPassword('correct horse battery staple', UNMATCHABLE_HASH)).resolves.toBe(
      false,
    );
    const real = await hashPassword('correct horse battery staple');
    expect(UNMATCHABLE_HASH.split('$').slice(0, 3)).toEqual(real.split('$').slice(0, 3));
    // Two full-cost runs take tens of milliseconds at least; a skipped check takes microseconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeGreaterThan(20);
  });
});
