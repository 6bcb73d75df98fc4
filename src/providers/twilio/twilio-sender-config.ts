import { configText, SenderConfigSchema } from '../sender-config';

export const TWILIO_API_URL = 'https://api.twilio.com';

/** One Twilio account sending from a number or a Messaging Service. */
export interface TwilioSenderSettings {
  /** The Messages resource `{api_url}/2010-04-01/Accounts/{account_sid}/Messages.json`. */
  apiUrl: string;
  accountSid: string;
  authToken: string;
  fromNumber?: string;
  messagingServiceSid?: string;
}

export const twilioSenderConfig: SenderConfigSchema<TwilioSenderSettings> = {
  fields: {
    account_sid: { kind: 'text', required: true },
    auth_token: { kind: 'text', required: true, secret: true },
    from: { kind: 'text' },
    messaging_service_sid: { kind: 'text' },
    api_url: { kind: 'url' },
  },
  check: (config) => {
    const problems: string[] = [];
    if (!/^AC[0-9a-fA-F]{32}$/.test(String(config.account_sid ?? ''))) {
      problems.push('config.account_sid must be a Twilio Account SID (AC + 32 hex digits)');
    }
    if (!configText(config, 'from') && !configText(config, 'messaging_service_sid')) {
      problems.push('config.from or config.messaging_service_sid is required');
    }
    return problems;
  },
  settings: (config) => {
    const base = (configText(config, 'api_url') ?? TWILIO_API_URL).replace(/\/+$/, '');
    const accountSid = configText(config, 'account_sid')!;
    return {
      apiUrl: `${base}/2010-04-01/Accounts/${accountSid}/Messages.json`,
      accountSid,
      authToken: configText(config, 'auth_token')!,
      fromNumber: configText(config, 'from'),
      messagingServiceSid: configText(config, 'messaging_service_sid'),
    };
  },
};
