import { MailerService } from '@nestjs-modules/mailer';
import type { FactoryProvider } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { OUTBOUND_CLIENTS, OutboundClient } from '../../providers/outbound-client';
import { SmtpEmailClient } from '../../providers/smtp/smtp-email.client';
import { createProviderHttp } from '../../providers/provider-http';
import { TwilioSmsClient } from '../../providers/twilio/twilio-sms.client';
import { WebWebhookClient } from '../../providers/standard-webhooks/web-webhook.client';
import { WhatsappCloudClient } from '../../providers/whatsapp-cloud/whatsapp-cloud.client';

/**
 * A client for every configured channel; a channel left out has no credentials. Email is always
 * there, over SMTP or the `log` stand-in.
 */
export const outboundClientsProvider: FactoryProvider<OutboundClient[]> = {
  provide: OUTBOUND_CLIENTS,
  inject: [APP_CONFIG, MailerService],
  useFactory: (config: AppConfig, mailer: MailerService): OutboundClient[] => {
    const timeoutMs = config.outbound.httpTimeoutMs;
    const clients: OutboundClient[] = [];
    if (config.whatsapp.sender) {
      clients.push(new WhatsappCloudClient(config.whatsapp.sender, createProviderHttp(timeoutMs)));
    }
    if (config.sms) {
      clients.push(
        new TwilioSmsClient(config.sms, config.publicBaseUrl, createProviderHttp(timeoutMs)),
      );
    }
    clients.push(new SmtpEmailClient(config.mail, mailer));
    if (config.web.sender) {
      clients.push(new WebWebhookClient(config.web.sender, createProviderHttp(timeoutMs)));
    }
    return clients;
  },
};
