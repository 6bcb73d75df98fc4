import { createHash } from 'node:crypto';
import { InboundCustomer } from '../../providers/inbound-batch';

/**
 * What a raw webhook is about, as short digests kept beside it (inbound_events.subject_keys, GIN
 * indexed): each sender's identity and each provider message id it carries. Erasure computes the
 * same digests from the customer and their messages and finds their raw webhooks by index.
 * Digests, not values: the keys are the same length whatever they name and repeat no address.
 */
export function subjectKey(
  kind: InboundCustomer['key'] | `message:${string}`,
  value: string,
): string {
  return createHash('sha256').update(`${kind}:${value}`).digest('hex').slice(0, 32);
}

/** The keys of a customer's identities (as stored on their row). */
export function identityKeys(customer: {
  phone: string | null;
  email: string | null;
  external_id: string | null;
}): string[] {
  const keys: string[] = [];
  if (customer.phone) keys.push(subjectKey('phone', customer.phone));
  if (customer.email) keys.push(subjectKey('email', customer.email));
  if (customer.external_id) keys.push(subjectKey('externalId', customer.external_id));
  return keys;
}

/** The key of a provider message id on its channel. */
export function messageKey(channel: string, providerMessageId: string): string {
  return subjectKey(`message:${channel}`, providerMessageId);
}
