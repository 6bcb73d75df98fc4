import { MailerService } from '@nestjs-modules/mailer';
import type { FactoryProvider } from '@nestjs/common';
import type { AppConfig } from '../../../platform/config/app-config';
import { APP_CONFIG } from '../../../platform/config/config.module';
import { CHANNEL_SENDERS, ChannelSender } from './channel-sender';
import { EmailSender } from './email.sender';
import { createProviderHttp } from './provider-http';
import { TwilioSmsSender } from './twilio-sms.sender';
import { WebWebhookSender } from './web-webhook.sender';
import { WhatsappCloudSender } from './whatsapp-cloud.sender';

/**
 * A sender for every configured channel; a channel left out has no credentials. Email is always
 * there, over SMTP or the `log` stand-in.
 */
export const channelSendersProvider: FactoryProvider<ChannelSender[]> = {
  provide: CHANNEL_SENDERS,
  inject: [APP_CONFIG, MailerService],
  useFactory: (config: AppConfig, mailer: MailerService): ChannelSender[] => {
    const timeoutMs = config.outbound.httpTimeoutMs;
    const senders: ChannelSender[] = [];
    if (config.whatsapp.sender) {
      senders.push(new WhatsappCloudSender(config.whatsapp.sender, createProviderHttp(timeoutMs)));
    }
    if (config.sms) {
      senders.push(
        new TwilioSmsSender(config.sms, config.publicBaseUrl, createProviderHttp(timeoutMs)),
      );
    }
    senders.push(new EmailSender(config.mail, mailer));
    if (config.web.sender) {
      senders.push(new WebWebhookSender(config.web.sender, createProviderHttp(timeoutMs)));
    }
    return senders;
  },
};
