import { isSameOriginRequest, originHeadersOf } from './request-origin';

describe('isSameOriginRequest (session cookies changing state)', () => {
  const host = 'inbox.example.com';

  it.each([
    ['Sec-Fetch-Site same-origin', { host, 'sec-fetch-site': 'same-origin' }],
    ["the user's own navigation (Sec-Fetch-Site none)", { host, 'sec-fetch-site': 'none' }],
    ['an Origin naming this host', { host, origin: 'https://inbox.example.com' }],
    [
      'an Origin naming this host and port',
      { host: 'localhost:3000', origin: 'http://localhost:3000' },
    ],
    ['no Origin and no Sec-Fetch-Site (not a browser page)', { host }],
    [
      'Sec-Fetch-Site same-origin behind a proxy that rewrote Host',
      { host: 'api:3000', origin: 'https://inbox.example.com', 'sec-fetch-site': 'same-origin' },
    ],
  ])('allows %s', (_, headers) => {
    expect(isSameOriginRequest(headers)).toBe(true);
  });

  it.each([
    ['Sec-Fetch-Site cross-site', { host, 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site (a sibling subdomain)', { host, 'sec-fetch-site': 'same-site' }],
    [
      'Sec-Fetch-Site cross-site even with a matching Origin',
      { host, origin: 'https://inbox.example.com', 'sec-fetch-site': 'cross-site' },
    ],
    ['an Origin of another site', { host, origin: 'https://evil.example' }],
    ['an Origin of another port', { host: 'localhost:3000', origin: 'http://localhost:8080' }],
    ['a look-alike host', { host, origin: 'https://inbox.example.com.evil.example' }],
    ['Origin: null (sandboxed frame)', { host, origin: 'null' }],
    ['an Origin without a Host to compare', { origin: 'https://inbox.example.com' }],
  ])('refuses %s', (_, headers) => {
    expect(isSameOriginRequest(headers)).toBe(false);
  });
});

describe('originHeadersOf', () => {
  it('takes the forwarded host of a proxy, and the first of repeated headers', () => {
    expect(
      originHeadersOf({
        host: 'api:3000',
        'x-forwarded-host': 'inbox.example.com',
        origin: ['https://inbox.example.com', 'https://evil.example'],
      }),
    ).toEqual({
      host: 'inbox.example.com',
      origin: 'https://inbox.example.com',
      'sec-fetch-site': undefined,
    });
  });
});
