import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * E.164 for any way a person or a provider writes a number: "+1 415-555-0100", "(415) 555-0100"
 * with the default country, or WhatsApp's bare "14155550100". Null for junk. The check is on
 * length per country ("possible"), not on allocated ranges ("valid"): a provider's word that a
 * number exists beats our copy of the numbering plan, and test ranges such as 555 must pass.
 */
export function normalizePhone(input: string, defaultCountry: string): string | null {
  const trimmed = input.trim();
  if (!/^[+\d\s().\-/]{4,32}$/.test(trimmed)) return null;
  const national = parsePhoneNumberFromString(trimmed, defaultCountry as CountryCode);
  if (national?.isPossible()) return national.number;
  if (trimmed.startsWith('+')) return null;
  // WhatsApp and Twilio write international numbers without the "+".
  const international = parsePhoneNumberFromString(`+${trimmed.replace(/\D/g, '')}`);
  return international?.isPossible() ? international.number : null;
}
