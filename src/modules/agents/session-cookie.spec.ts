import { clearedSessionCookie, sessionCookie, sessionTokenOf } from './session-cookie';

const TOKEN = 'a'.repeat(43);

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax, for the whole site, and lasts the session TTL', () => {
    const cookie = sessionCookie(TOKEN, { secure: false, maxAgeMs: 12 * 3_600_000 });
    expect(cookie.split('; ')).toEqual(
      expect.arrayContaining([
        `omni_session=${TOKEN}`,
        'Path=/',
        'Max-Age=43200',
        'HttpOnly',
        'SameSite=Lax',
      ]),
    );
    expect(cookie).not.toContain('Secure');
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]);
    expect(Math.abs(expires - (Date.now() + 43_200_000))).toBeLessThan(2000);
  });

  it('is Secure when asked (production)', () => {
    expect(sessionCookie(TOKEN, { secure: true, maxAgeMs: 1000 }).split('; ')).toContain('Secure');
  });

  it('is cleared with an empty value that expired long ago', () => {
    const cookie = clearedSessionCookie(false);
    expect(cookie).toMatch(/^omni_session=; /);
    expect(cookie).toContain('Max-Age=0');
    expect(cookie).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it('is found among other cookies, and only in the shape it is issued', () => {
    expect(sessionTokenOf(`theme=dark; omni_session=${TOKEN}; lang=en`)).toBe(TOKEN);
    expect(sessionTokenOf(`omni_session_other=${TOKEN}`)).toBeUndefined();
    expect(sessionTokenOf('omni_session=short')).toBeUndefined();
    expect(sessionTokenOf(`omni_session=${TOKEN.slice(1)}!`)).toBeUndefined();
    expect(sessionTokenOf(undefined)).toBeUndefined();
  });
});
