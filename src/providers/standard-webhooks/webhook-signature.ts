import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The Standard Webhooks headers of one try. Each secret signs (during a rotation the new one and
 * the old one), space-separated, so a receiver that still holds the old secret keeps verifying.
 */
/** Signers by secret: decoding a secret once, not on every try. */
const signers = new Map<string, Webhook>();

function signerFor(secret: string): Webhook {
  let signer = signers.get(secret);
  if (!signer) {
    signer = new Webhook(secret);
    signers.set(secret, signer);
  }
  return signer;
}

export function signedWebhookHeaders(
  secrets: string[],
  webhookId: string,
  at: Date,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets
      .map((secret) => signerFor(secret).sign(webhookId, at, body))
      .join(' '),
  };
}

/** Why `secret` is not a Standard Webhooks secret (`whsec_` + base64, or bare base64), or undefined. */
export function webhookSecretProblem(secret: string): string | undefined {
  return /^(whsec_)?[A-Za-z0-9+/]+=*$/.test(secret)
    ? undefined
    : 'must be a Standard Webhooks secret (whsec_ + base64)';
}
