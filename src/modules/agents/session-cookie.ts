/** The session cookie's name; HttpOnly, so the page never reads it. */
export const SESSION_COOKIE = 'omni_session';

export interface SessionCookieOptions {
  secure: boolean;
  maxAgeMs: number;
}

/** Set-Cookie for a new session: Path=/ so that the socket.io handshake carries it too. */
export function sessionCookie(token: string, options: SessionCookieOptions): string {
  const maxAge = Math.floor(options.maxAgeMs / 1000);
  const expires = new Date(Date.now() + maxAge * 1000).toUTCString();
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    `Max-Age=${maxAge}`,
    `Expires=${expires}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** Set-Cookie that makes the browser forget the session. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', { secure, maxAgeMs: 0 }).replace(
    /Expires=[^;]+/,
    'Expires=Thu, 01 Jan 1970 00:00:00 GMT',
  );
}

/** The session token in a Cookie header, if there is one of the shape we issue. */
export function sessionTokenOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(separator + 1).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}
