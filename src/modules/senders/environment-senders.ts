import type { AppConfig } from '../../platform/config/app-config';
import type { Channel } from '../../shared/channel';

/** An environment sender as the variables make it: settings for the provider, config to show. */
export interface EnvironmentSender {
  /** The provider's settings, the same shape an API sender's config gives. */
  settings: Record<string, unknown>;
  /** False when the variables configure only receiving (e.g. WHATSAPP_APP_SECRET alone). */
  canSend: boolean;
  plain: Record<string, unknown>;
  secrets: Record<string, string>;
}

const defined = (entries: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));

/**
 * Each channel's built-in sender from the variables of "Configuration", or undefined when the
 * variables leave the channel out. Email always has one (SMTP, or the `log` stand-in).
 */
export function environmentSender(
  config: AppConfig,
  channel: Channel,
): EnvironmentSender | undefined {
  switch (channel) {
    case 'whatsapp': {
      const { sender, appSecret, verifyToken } = config.whatsapp;
      if (!sender && !appSecret) return undefined;
      const [, graph, phoneNumberId] =
        /^(.*)\/([^/]+)\/messages\/?$/.exec(sender?.apiUrl ?? '') ?? [];
      return {
        settings: defined({ ...sender, appSecret, verifyToken, phoneNumberId }),
        canSend: Boolean(sender),
        plain: defined({ phone_number_id: phoneNumberId, graph_api_url: graph }),
        secrets: defined({
          access_token: sender?.accessToken,
          app_secret: appSecret,
          verify_token: verifyToken,
        }) as Record<string, string>,
      };
    }
    case 'sms': {
      const sms = config.sms;
      if (!sms) return undefined;
      return {
        settings: { ...sms },
        canSend: true,
        plain: defined({
          account_sid: sms.accountSid,
          from: sms.fromNumber,
          messaging_service_sid: sms.messagingServiceSid,
          api_url: sms.apiUrl,
        }),
        secrets: { auth_token: sms.authToken },
      };
    }
    case 'email': {
      const mail = config.mail;
      return {
        // No inbound addresses: the environment mailbox receives what no API sender claims.
        settings: { ...mail, inboundAddresses: [] },
        canSend: true,
        plain: defined({
          from_address: mail.fromAddress,
          from_name: mail.fromName,
          host: mail.host,
          port: mail.mailer === 'smtp' ? mail.port : undefined,
          username: mail.username,
          encryption: mail.encryption,
        }),
        secrets: defined({ password: mail.password }) as Record<string, string>,
      };
    }
    case 'web': {
      const { sender, secret } = config.web;
      if (!secret) return undefined;
      return {
        settings: defined({ url: sender?.url, secret }),
        canSend: Boolean(sender),
        plain: defined({ url: sender?.url }),
        secrets: { secret },
      };
    }
  }
}
