import { DomainError } from '../platform/errors/domain-error';
import { normalizePhone } from '../shared/phone-number';

/**
 * Readers for untyped provider payloads. Each failure is a 400 that names the field by its path
 * in the payload (`entry[0].changes[0].value.messages[1].from`), so a provider's debugger or a
 * developer replaying a sample sees exactly what is wrong.
 */
export type Fields = Record<string, unknown>;

export function invalidPayload(message: string): DomainError {
  return new DomainError('invalid_input', message);
}

export function objectAt(value: unknown, path: string): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidPayload(`${path} must be an object`);
  }
  return value as Fields;
}

export function arrayAt(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalidPayload(`${path} must be an array`);
  return value;
}

export function optionalArrayAt(value: unknown, path: string): unknown[] {
  return value === undefined || value === null ? [] : arrayAt(value, path);
}

export function stringAt(fields: Fields, key: string, path: string): string {
  const value = optionalStringAt(fields, key, path);
  if (value === undefined || value.trim() === '')
    throw invalidPayload(`${path}.${key} is required`);
  return value;
}

export function optionalStringAt(fields: Fields, key: string, path: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw invalidPayload(`${path}.${key} must be a string`);
  return value;
}

/** E.164 from a provider's number, which is always international ("16315551234" or "+1…"). */
export function phoneAt(fields: Fields, key: string, path: string, defaultCountry: string): string {
  const raw = stringAt(fields, key, path).trim();
  const phone = normalizePhone(raw.startsWith('+') ? raw : `+${raw}`, defaultCountry);
  if (!phone) throw invalidPayload(`${path}.${key} must be a phone number`);
  return phone;
}

/** Unix seconds as a string ("1678901234") → a date; undefined when absent. */
export function unixSecondsAt(fields: Fields, key: string, path: string): Date | null {
  const raw = optionalStringAt(fields, key, path);
  if (raw === undefined) return null;
  if (!/^\d{1,12}$/.test(raw)) throw invalidPayload(`${path}.${key} must be Unix seconds`);
  return new Date(Number(raw) * 1000);
}
