import { configText, SenderConfigSchema } from '../sender-config';

export const GRAPH_API_URL = 'https://graph.facebook.com/v23.0';

/** One WhatsApp Business phone number: what sending, inbound signatures and media need. */
export interface WhatsappSenderSettings {
  phoneNumberId?: string;
  /** The messages endpoint `{graph_api_url}/{phone_number_id}/messages`; media resolve beside it. */
  apiUrl: string;
  accessToken: string;
  appSecret?: string;
  verifyToken?: string;
}

export const whatsappSenderConfig: SenderConfigSchema<WhatsappSenderSettings> = {
  fields: {
    phone_number_id: { kind: 'text', required: true },
    access_token: { kind: 'text', required: true, secret: true },
    app_secret: { kind: 'text', required: true, secret: true },
    verify_token: { kind: 'text', secret: true },
    graph_api_url: { kind: 'url' },
  },
  check: (config) =>
    /^\d{1,32}$/.test(String(config.phone_number_id ?? ''))
      ? []
      : ['config.phone_number_id must be the number id Meta shows (digits)'],
  settings: (config) => {
    const graph = (configText(config, 'graph_api_url') ?? GRAPH_API_URL).replace(/\/+$/, '');
    const phoneNumberId = configText(config, 'phone_number_id')!;
    return {
      phoneNumberId,
      apiUrl: `${graph}/${phoneNumberId}/messages`,
      accessToken: configText(config, 'access_token')!,
      appSecret: configText(config, 'app_secret'),
      verifyToken: configText(config, 'verify_token'),
    };
  },
};
