import type { WebConfig } from '../../platform/config/app-config';
import { configText, SenderConfigSchema } from '../sender-config';
import { webhookSecretProblem } from './webhook-signature';

/** One web endpoint: where outbound messages are posted and the secret both ways sign with. */
export const webSenderConfig: SenderConfigSchema<WebConfig> = {
  fields: {
    url: { kind: 'url', required: true },
    secret: { kind: 'text', required: true, secret: true },
  },
  check: (config) => {
    const problem = webhookSecretProblem(String(config.secret ?? ''));
    return problem ? [`config.secret ${problem}`] : [];
  },
  settings: (config) => ({
    url: configText(config, 'url')!,
    secret: configText(config, 'secret')!,
  }),
};
