import { MailerService } from '@nestjs-modules/mailer';
import { Inject, Injectable } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import type { AppConfig, MailConfig, WebConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import type { OutboundClient } from '../../providers/outbound-client';
import { createProviderHttp } from '../../providers/provider-http';
import { smtpTransport } from '../../providers/smtp/mail-transport';
import { SmtpEmailClient } from '../../providers/smtp/smtp-email.client';
import { WebWebhookClient } from '../../providers/standard-webhooks/web-webhook.client';
import type { TwilioSenderSettings } from '../../providers/twilio/twilio-sender-config';
import { TwilioSmsClient } from '../../providers/twilio/twilio-sms.client';
import { WhatsappCloudClient } from '../../providers/whatsapp-cloud/whatsapp-cloud.client';
import type { WhatsappSenderSettings } from '../../providers/whatsapp-cloud/whatsapp-sender-config';
import type { ResolvedSender } from '../senders/sender-directory';

/**
 * One provider client per sender, built from its settings the first time it sends and again
 * only after the sender changed (its version). Every HTTP client shares one axios instance, so
 * a thousand senders share one pool of keep-alive sockets per provider host; API mailboxes get
 * a named SMTP transport each, the environment's mailbox keeps the default one.
 */
@Injectable()
export class SenderClients {
  private readonly http: AxiosInstance;
  private readonly clients = new Map<string, { version: number; client: OutboundClient }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly mailer: MailerService,
  ) {
    this.http = createProviderHttp(config.outbound.httpTimeoutMs);
  }

  clientFor(sender: ResolvedSender): OutboundClient {
    const cached = this.clients.get(sender.id);
    if (cached?.version === sender.version) return cached.client;
    const client = this.build(sender);
    this.clients.set(sender.id, { version: sender.version, client });
    return client;
  }

  private build({ id, channel, source, settings }: ResolvedSender): OutboundClient {
    switch (channel) {
      case 'whatsapp':
        return new WhatsappCloudClient(settings as unknown as WhatsappSenderSettings, this.http);
      case 'sms':
        return new TwilioSmsClient(
          settings as unknown as TwilioSenderSettings,
          this.config.publicBaseUrl,
          this.http,
        );
      case 'email': {
        const mail = settings as unknown as MailConfig;
        if (source === 'environment') return new SmtpEmailClient(mail, this.mailer);
        // Same name on a change: the new transport replaces the old one in MailerService.
        const name = `sender-${id}`;
        this.mailer.addTransporter(name, smtpTransport(mail, this.config.outbound.httpTimeoutMs));
        return new SmtpEmailClient(mail, this.mailer, name);
      }
      case 'web':
        return new WebWebhookClient(settings as unknown as WebConfig, this.http);
    }
  }
}
