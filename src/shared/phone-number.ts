import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * E.164 for any way a person or a provider writes a number: "+1 415-555-0100", "(415) 555-0100"
 * with the default country, or WhatsApp's bare "14155550100". Null for junk. The check is on
 * length per country ("possible"), not on allocated ranges ("valid"): a provider's word that a
 * number exists beats our copy of the numbering plan, and test ranges such as 555 must pass.
 */
export function normalizePhone(input: string, defaultCountry: string): string | null {
  if (input.length > 64) return parse(input, defaultCountry);
  const key = `${defaultCountry}:${input}`;
  const known = normalized.get(key);
  if (known !== undefined) return known;
  const result = parse(input, defaultCountry);
  if (normalized.size >= NORMALIZED_CACHE_SIZE) normalized.delete(normalized.keys().next().value!);
  normalized.set(key, result);
  return result;
}

/**
 * Parsing is the costliest step of taking a webhook in (libphonenumber's metadata regexes), and
 * the same customers write again and again: the latest answers are kept, oldest dropped first
 * (bounded: at most NORMALIZED_CACHE_SIZE entries of short inputs).
 */
const NORMALIZED_CACHE_SIZE = 10_000;
const normalized = new Map<string, string | null>();

function parse(input: string, defaultCountry: string): string | null {
  const trimmed = input.trim();
  if (!/^[+\d\s().\-/]{4,32}$/.test(trimmed)) return null;
  const national = parsePhoneNumberFromString(trimmed, defaultCountry as CountryCode);
  if (national?.isPossible()) return national.number;
  if (trimmed.startsWith('+')) return null;
  // WhatsApp and Twilio write international numbers without the "+".
  const international = parsePhoneNumberFromString(`+${trimmed.replace(/\D/g, '')}`);
  return international?.isPossible() ? international.number : null;
}
