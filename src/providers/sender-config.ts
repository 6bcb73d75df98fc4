/** How one field of a sender's `config` is written and checked. */
export interface ConfigField {
  kind: 'text' | 'url' | 'port' | 'email' | 'emails' | 'choice';
  required?: boolean;
  /** Write-only: stored sealed, masked in every answer, never logged. */
  secret?: boolean;
  choices?: readonly string[];
}

/**
 * What a provider needs to know of one sender (one number, account, mailbox or endpoint) and
 * how the stored config becomes the settings its client takes. The senders module validates
 * `fields`, seals the secret ones and hands the whole config back to `settings`.
 */
export interface SenderConfigSchema<Settings = unknown> {
  fields: Record<string, ConfigField>;
  /** Rules across fields, as messages naming them. */
  check?(config: Record<string, unknown>): string[];
  settings(config: Record<string, unknown>): Settings;
}

/** One field's problem, or undefined: the value is the config's, untrusted. */
export function configFieldProblem(
  name: string,
  field: ConfigField,
  value: unknown,
): string | undefined {
  if (value === undefined || value === null || value === '') {
    return field.required ? `config.${name} is required` : undefined;
  }
  switch (field.kind) {
    case 'port':
      return Number.isInteger(value) && (value as number) > 0 && (value as number) < 65536
        ? undefined
        : `config.${name} must be a TCP port (1-65535)`;
    case 'emails':
      return Array.isArray(value) && value.length > 0 && value.every(isEmailAddress)
        ? undefined
        : `config.${name} must be a non-empty list of email addresses`;
    case 'email':
      return isEmailAddress(value) ? undefined : `config.${name} must be an email address`;
    case 'url':
      return typeof value === 'string' && isHttpUrl(value)
        ? undefined
        : `config.${name} must be an http(s) URL`;
    case 'choice':
      return field.choices?.includes(value as string)
        ? undefined
        : `config.${name} must be one of ${field.choices?.join(', ')}`;
    default:
      return typeof value === 'string' && value.length <= 4096
        ? undefined
        : `config.${name} must be a string (at most 4096 characters)`;
  }
}

function isEmailAddress(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 320 && /^[^\s@]+@[^\s@]+$/.test(value);
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** A config value read back for `settings`: validated before it was stored. */
export const configText = (config: Record<string, unknown>, name: string): string | undefined =>
  typeof config[name] === 'string' && config[name] !== '' ? (config[name] as string) : undefined;
