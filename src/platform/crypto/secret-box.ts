import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';

/** A key's short public name, stored beside what it sealed so that opening picks the right key. */
function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** SENDER_SECRETS_KEY's form: 32 bytes, base64. Returns why not, or undefined. */
export function secretKeyProblem(base64: string): string | undefined {
  const key = Buffer.from(base64, 'base64');
  return key.length === 32 && key.toString('base64') === base64.replace(/\s/g, '')
    ? undefined
    : `must be 32 bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`;
}

/**
 * Authenticated encryption of small JSON values (AES-256-GCM, a fresh 96-bit IV each time) under
 * the current key; values sealed under the previous key still open, so a key can be rotated
 * without a stop: set the new key, keep the old one as previous until everything was re-sealed.
 * The sealed text is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts).
 */
export class SecretBox {
  private readonly current: Buffer;
  private readonly keys: Map<string, Buffer>;

  constructor(currentBase64: string, previousBase64?: string) {
    this.current = Buffer.from(currentBase64, 'base64');
    const all = [this.current, ...(previousBase64 ? [Buffer.from(previousBase64, 'base64')] : [])];
    this.keys = new Map(all.map((key) => [keyId(key), key]));
  }

  seal(value: object): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.current, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'));
    return [VERSION, keyId(this.current), ...parts].join('.');
  }

  open<T extends object>(sealed: string): T {
    const [version, id, iv, tag, body] = sealed.split('.');
    const key = this.keys.get(id);
    if (version !== VERSION || !key) {
      throw new Error(
        `sealed under key ${id}, which is neither SENDER_SECRETS_KEY nor SENDER_SECRETS_KEY_PREVIOUS`,
      );
    }
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const text = Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(text) as T;
  }

  /** Whether `sealed` was sealed under an older key and should be sealed again. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== keyId(this.current);
  }
}
