import type { SenderConfigSchema } from '../../providers/sender-config';
import { smtpSenderConfig } from '../../providers/smtp/smtp-sender-config';
import { webSenderConfig } from '../../providers/standard-webhooks/web-sender-config';
import { twilioSenderConfig } from '../../providers/twilio/twilio-sender-config';
import { whatsappSenderConfig } from '../../providers/whatsapp-cloud/whatsapp-sender-config';
import type { Channel } from '../../shared/channel';

/** Which provider's sender config each channel takes: one line per provider. */
export const SENDER_SCHEMAS: Record<Channel, SenderConfigSchema> = {
  whatsapp: whatsappSenderConfig,
  sms: twilioSenderConfig,
  email: smtpSenderConfig,
  web: webSenderConfig,
};

/** `"••••"` and the last 4 characters; a secret of 8 or fewer shows nothing of itself. */
export function maskSecret(secret: string): string {
  return secret.length > 8 ? `••••${secret.slice(-4)}` : '••••';
}

/** Splits a config into what is stored plainly and what is sealed. */
export function splitSecrets(
  channel: Channel,
  config: Record<string, unknown>,
): { plain: Record<string, unknown>; secrets: Record<string, string> } {
  const fields = SENDER_SCHEMAS[channel].fields;
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined || value === null) continue;
    if (fields[name]?.secret) secrets[name] = value as string;
    else plain[name] = value;
  }
  return { plain, secrets };
}

/** The config as answers show it: secrets masked. */
export function maskedConfig(
  channel: Channel,
  plain: Record<string, unknown>,
  secrets: Record<string, string>,
): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...plain };
  for (const [name, value] of Object.entries(secrets)) masked[name] = maskSecret(value);
  const fields = SENDER_SCHEMAS[channel].fields;
  return Object.fromEntries(
    Object.keys(fields)
      .filter((name) => masked[name] !== undefined)
      .map((name) => [name, masked[name]]),
  );
}
