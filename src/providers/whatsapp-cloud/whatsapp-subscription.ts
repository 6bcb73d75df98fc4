import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../platform/errors/domain-error';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Meta's subscribe handshake: `hub.mode=subscribe` with one of our verify tokens (each WhatsApp
 * sender may have its own) → the challenge, as is. The query keys contain dots and are read
 * literally.
 */
export function answerSubscription(query: Record<string, unknown>, verifyTokens: string[]): string {
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  const matches =
    typeof token === 'string' &&
    verifyTokens.some((verifyToken) => timingSafeEqual(digest(token), digest(verifyToken)));
  if (query['hub.mode'] !== 'subscribe' || !matches) {
    throw new DomainError(
      'forbidden',
      'hub.mode must be subscribe and hub.verify_token must match',
    );
  }
  if (typeof challenge !== 'string' || challenge === '') {
    throw new DomainError('invalid_input', 'hub.challenge is required');
  }
  return challenge;
}
