/** The headers a browser sets that tell where a request came from. */
export interface OriginHeaders {
  host?: string;
  origin?: string;
  'sec-fetch-site'?: string;
}

/**
 * Whether a request carrying a session cookie may change state: it must come from a page of this
 * same origin. Browsers send Sec-Fetch-Site, which is decisive (it is computed by the browser, so
 * a proxy rewriting Host cannot confuse it; `none` is the user's own navigation); without it the
 * Origin header must name this request's host. A request with neither is not from a browser
 * page (curl, a server), which is not the attack this guards against. The scheme of Origin is
 * not compared: behind a TLS-terminating proxy the request itself arrives as http.
 */
export function isSameOriginRequest(headers: OriginHeaders): boolean {
  const site = headers['sec-fetch-site']?.trim().toLowerCase();
  if (site) return site === 'same-origin' || site === 'none';
  const origin = headers.origin?.trim();
  if (origin === undefined) return true;
  if (!headers.host) return false;
  try {
    // `Origin: null` (sandboxed frames, some redirects) fails to parse: refused.
    return new URL(origin).host === new URL(`http://${headers.host.trim()}`).host;
  } catch {
    return false;
  }
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The origin headers of a Node request's headers (HTTP or the socket.io handshake). */
export function originHeadersOf(
  headers: Record<string, string | string[] | undefined>,
): OriginHeaders {
  return {
    host: first(headers['x-forwarded-host']) ?? first(headers.host),
    origin: first(headers.origin),
    'sec-fetch-site': first(headers['sec-fetch-site']),
  };
}
