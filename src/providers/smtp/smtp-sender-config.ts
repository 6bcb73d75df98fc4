import type { MailConfig } from '../../platform/config/app-config';
import { configText, SenderConfigSchema } from '../sender-config';

/** One mailbox: the SMTP account it sends through and the addresses it receives on. */
export interface SmtpSenderSettings extends MailConfig {
  inboundAddresses: string[];
}

export const smtpSenderConfig: SenderConfigSchema<SmtpSenderSettings> = {
  fields: {
    from_address: { kind: 'email', required: true },
    from_name: { kind: 'text' },
    inbound_addresses: { kind: 'emails' },
    host: { kind: 'text', required: true },
    port: { kind: 'port', required: true },
    username: { kind: 'text' },
    password: { kind: 'text', secret: true },
    encryption: { kind: 'choice', choices: ['tls', 'starttls', 'none'] },
  },
  settings: (config) => {
    const fromAddress = configText(config, 'from_address')!;
    return {
      mailer: 'smtp',
      host: configText(config, 'host'),
      port: config.port as number,
      username: configText(config, 'username'),
      password: configText(config, 'password'),
      encryption: configText(config, 'encryption') as MailConfig['encryption'],
      fromAddress,
      fromName: configText(config, 'from_name'),
      inboundAddresses: ((config.inbound_addresses as string[] | undefined) ?? [fromAddress]).map(
        (address) => address.toLowerCase(),
      ),
    };
  },
};
