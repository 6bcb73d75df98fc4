import { MediaUrlSigner } from './media-url-signer';

const ID = '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e13';
const NOW = Date.parse('2026-12-03T12:00:00Z');

describe('MediaUrlSigner', () => {
  const signer = new MediaUrlSigner('https://messaging.example.com', 'secret', 3600);

  function parts(url: string) {
    const parsed = new URL(url);
    return {
      path: parsed.pathname,
      expires: parsed.searchParams.get('expires')!,
      signature: parsed.searchParams.get('signature')!,
    };
  }

  it('signs a link under the public URL that verifies until it expires', () => {
    const { url, expiresAt } = signer.sign(ID, NOW);
    const { path, expires, signature } = parts(url);
    expect(path).toBe(`/api/media/${ID}`);
    expect(expiresAt.toISOString()).toBe('2026-12-03T13:00:00.000Z');
    expect(signer.verify(ID, expires, signature, NOW + 3599_000)).toBe(true);
    expect(signer.verify(ID, expires, signature, NOW + 3600_000)).toBe(false);
  });

  it('refuses another id, another expiry, another key and malformed values', () => {
    const { expires, signature } = parts(signer.sign(ID, NOW).url);
    expect(signer.verify(ID.replace(/3$/, '4'), expires, signature, NOW)).toBe(false);
    expect(signer.verify(ID, String(Number(expires) + 1), signature, NOW)).toBe(false);
    const other = new MediaUrlSigner('https://messaging.example.com', 'other', 3600);
    expect(other.verify(ID, expires, signature, NOW)).toBe(false);
    expect(signer.verify(ID, 'soon', signature, NOW)).toBe(false);
    expect(signer.verify(ID, expires, 'abc', NOW)).toBe(false);
  });
});
