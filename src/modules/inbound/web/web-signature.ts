import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/**
 * Standard Webhooks: `v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>` over the raw
 * body, any of several signatures may match (secret rotation), and timestamps more than five
 * minutes away are refused so that a captured request cannot be replayed later.
 * Returns null when valid, else why not.
 */
export function webSignatureProblem(
  secret: string,
  rawBody: string,
  headers: Record<string, string | undefined>,
): string | null {
  const required = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
  const missing = required.filter((name) => !headers[name]);
  if (missing.length > 0) return `${missing.join(', ')} missing`;
  try {
    new Webhook(secret).verify(rawBody, headers as Record<string, string>, { jsonParse: false });
    return null;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.message;
    throw error;
  }
}
