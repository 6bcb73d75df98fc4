import { randomBytes, randomInt } from 'node:crypto';
import type { ApiHarness } from './api-harness';

/** A US number unlikely to collide with other tests' numbers in the shared test database. */
export function uniquePhone(): string {
  return `+1415${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
}

export function uniqueEmail(): string {
  return `person-${randomBytes(6).toString('hex')}@example.com`;
}

/** A customer with every field; one given as `undefined` is left out of the request. */
export async function createCustomer(api: ApiHarness, fields: Record<string, unknown> = {}) {
  // A random phone can meet one an earlier file stored (the database is shared): draw again.
  for (let draw = 1; ; draw++) {
    const response = await api.request('POST', '/api/customers', {
      name: 'Test Customer',
      phone: uniquePhone(),
      email: uniqueEmail(),
      external_id: `ext-${randomBytes(6).toString('hex')}`,
      ...fields,
    });
    if (response.status === 201) return response.body;
    if (response.status !== 409 || 'phone' in fields || draw === 3) {
      throw new Error(`customer not created: ${response.text}`);
    }
  }
}

export async function createConversation(
  api: ApiHarness,
  channel: string,
  fields: Record<string, unknown> = {},
) {
  const customerId = fields.customer_id ?? (await createCustomer(api)).id;
  const response = await api.request('POST', '/api/conversations', {
    customer_id: customerId,
    channel,
    ...fields,
  });
  if (response.status !== 201) throw new Error(`conversation not created: ${response.text}`);
  return response.body;
}
