import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring links to one attachment for providers and web clients that cannot send our
 * API key (Twilio fetches MediaUrl itself). The signature covers the id and the expiry.
 */
export class MediaUrlSigner {
  constructor(
    private readonly publicBaseUrl: string,
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  sign(attachmentId: string, now = Date.now()): { url: string; expiresAt: Date } {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    const signature = this.signature(attachmentId, expires);
    return {
      url: `${this.publicBaseUrl}/api/media/${attachmentId}?expires=${expires}&signature=${signature}`,
      expiresAt: new Date(expires * 1000),
    };
  }

  /** True when the signature is ours and the link has not expired. */
  verify(attachmentId: string, expires: string, signature: string, now = Date.now()): boolean {
    if (!/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return false;
    if (Number(expires) * 1000 <= now) return false;
    const expected = Buffer.from(this.signature(attachmentId, Number(expires)), 'hex');
    return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
  }

  private signature(attachmentId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${attachmentId}.${expires}`).digest('hex');
  }
}
