import { validateRequest } from 'twilio/lib/webhooks/webhooks';

/**
 * `X-Twilio-Signature`: base64 HMAC-SHA1 of the public URL followed by the sorted form params,
 * keyed with the auth token. twilio-node's own check also accepts the URL with or without its
 * default port, as Twilio itself may sign either.
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string,
  url: string,
  params: Record<string, unknown>,
): boolean {
  return validateRequest(authToken, signature, url, params);
}
