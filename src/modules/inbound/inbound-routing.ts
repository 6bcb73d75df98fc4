import { parse as parseForm } from 'node:querystring';
import type { ResolvedSender } from '../senders/sender-directory';
import type { InboundProvider } from './inbound-provider';

/**
 * What a webhook says about which of our senders it is for: the WhatsApp phone number id, the
 * Twilio account and our number, the email's recipients, or (web) the sender named by the URL.
 */
export type RouteKey =
  | { channel: 'whatsapp'; phoneNumberId: string | null }
  | { channel: 'sms'; accountSid: string | null; ours: string | null }
  | { channel: 'email'; recipients: string[] }
  | { channel: 'web'; senderId: string | null };

const EMAIL_ADDRESS = /[^\s<>,;:"'()[\]]+@[^\s<>,;:"'()[\]]+/g;

/**
 * The route key of a webhook's body: as the request parsed it (the guards), or decoded again from
 * the stored text (replay, see decodeStored). Unreadable payloads give an empty key: the parser
 * keeps them failed or refuses them whatever the route. A WhatsApp batch is routed by its first
 * phone number id (Meta sends one number per notification).
 */
export function routeKeyOf(
  provider: InboundProvider,
  decoded: unknown,
  webSenderId: string | null,
): RouteKey {
  const body = asObject(decoded);
  switch (provider) {
    case 'whatsapp': {
      const ids = asArray(body.entry).flatMap((entry) =>
        asArray(asObject(entry).changes).map(
          (change) => asObject(asObject(asObject(change).value).metadata).phone_number_id,
        ),
      );
      const first = ids.find((id) => typeof id === 'string' && id !== '');
      return { channel: 'whatsapp', phoneNumberId: (first as string | undefined) ?? null };
    }
    case 'sms':
    case 'sms_status':
      return {
        channel: 'sms',
        accountSid: firstString(body.AccountSid),
        // Our number: an incoming message is sent To it, a status callback reports a send From it.
        ours: firstString(provider === 'sms' ? body.To : body.From),
      };
    case 'email': {
      const envelope =
        typeof body.envelope === 'string' ? decodeStored('application/json', body.envelope) : {};
      const text = [body.to, body.cc, ...asArray(envelope.to)]
        .filter((value): value is string => typeof value === 'string')
        .join(',');
      const recipients = [...new Set((text.match(EMAIL_ADDRESS) ?? []).map(lowerCase))];
      return { channel: 'email', recipients };
    }
    case 'web':
      return { channel: 'web', senderId: webSenderId };
  }
}

/**
 * The sender a webhook is for, among the channel's senders (API senders first, as the directory
 * lists them): an API sender that claims the key, else the environment's sender when its
 * variables configure this channel's inbound (`inboundFallback`), else none.
 */
export function routeSender(
  key: RouteKey,
  senders: ResolvedSender[],
  inboundFallback: ResolvedSender | undefined,
): ResolvedSender | undefined {
  const ofChannel = senders.filter((sender) => sender.channel === key.channel);
  // The URL names a web sender outright, the environment's included.
  if (key.channel === 'web' && key.senderId !== null) {
    return ofChannel.find((sender) => sender.id === key.senderId);
  }
  return (
    claimant(
      key,
      ofChannel.filter((sender) => sender.source === 'api'),
    ) ?? inboundFallback
  );
}

function claimant(key: RouteKey, senders: ResolvedSender[]): ResolvedSender | undefined {
  switch (key.channel) {
    case 'whatsapp':
      return senders.find((sender) => sender.settings.phoneNumberId === key.phoneNumberId);
    case 'sms': {
      const account = senders.filter((sender) => sender.settings.accountSid === key.accountSid);
      return (
        account.find((sender) => key.ours !== null && sender.settings.fromNumber === key.ours) ??
        account.find((sender) => Boolean(sender.settings.messagingServiceSid))
      );
    }
    case 'email':
      return senders.find((sender) =>
        asArray(sender.settings.inboundAddresses).some((address) =>
          key.recipients.includes(lowerCase(String(address))),
        ),
      );
    case 'web':
      return undefined;
  }
}

/**
 * What a sender answers to, for an index: the value routeSender compares against a key, so only
 * the senders that share one of lookupKeys(key) need comparing.
 */
export function claimKeys(sender: ResolvedSender): string[] {
  const { settings } = sender;
  switch (sender.channel) {
    case 'whatsapp':
      return typeof settings.phoneNumberId === 'string' ? [settings.phoneNumberId] : [];
    case 'sms':
      return typeof settings.accountSid === 'string' ? [settings.accountSid] : [];
    case 'email':
      return asArray(settings.inboundAddresses).map((address) => lowerCase(String(address)));
    case 'web':
      return [sender.id];
  }
}

export function lookupKeys(key: RouteKey): string[] {
  switch (key.channel) {
    case 'whatsapp':
      return key.phoneNumberId === null ? [] : [key.phoneNumberId];
    case 'sms':
      return key.accountSid === null ? [] : [key.accountSid];
    case 'email':
      return key.recipients;
    case 'web':
      return key.senderId === null ? [] : [key.senderId];
  }
}

/** The error a webhook no sender takes is kept failed with, until a replay finds its sender. */
export function noSenderError(key: RouteKey): string {
  switch (key.channel) {
    case 'whatsapp':
      return `no sender for whatsapp phone_number_id ${key.phoneNumberId ?? '(none)'}`;
    case 'sms':
      return `no sender for sms AccountSid ${key.accountSid ?? '(none)'} To ${key.ours ?? '(none)'}`;
    case 'email':
      return `no sender for email recipient ${key.recipients.join(', ') || '(none)'}`;
    case 'web':
      return `no sender for web sender_id ${key.senderId ?? '(none)'}`;
  }
}

/** A stored payload decoded for routing; what cannot be decoded routes nowhere. */
export function decodeStored(contentType: string, payload: string): Record<string, unknown> {
  if (contentType === 'application/x-www-form-urlencoded') return { ...parseForm(payload) };
  try {
    return asObject(JSON.parse(payload));
  } catch {
    return {};
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function firstString(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : null;
}

const lowerCase = (value: string) => value.toLowerCase();
