import { MailerModule } from '@nestjs-modules/mailer';
import { Test } from '@nestjs/testing';
import { loadConfig } from '../../platform/config/app-config';
import { APP_CONFIG, ConfigModule } from '../../platform/config/config.module';
import { OUTBOUND_CLIENTS, OutboundClient } from '../../providers/outbound-client';
import { outboundClientsProvider } from './outbound-clients.provider';
import { SmtpEmailClient } from '../../providers/smtp/smtp-email.client';
import { mailerOptions } from '../../providers/smtp/mail-transport';
import { TwilioSmsClient } from '../../providers/twilio/twilio-sms.client';
import { WebWebhookClient } from '../../providers/standard-webhooks/web-webhook.client';
import { WhatsappCloudClient } from '../../providers/whatsapp-cloud/whatsapp-cloud.client';

/** Boots the provider the way the worker module will, with the mailer module alongside. */
async function clientsFor(env: Record<string, string>): Promise<OutboundClient[]> {
  const config = loadConfig(env);
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      MailerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: mailerOptions }),
    ],
    providers: [outboundClientsProvider],
  }).compile();
  const clients = moduleRef.get<OutboundClient[]>(OUTBOUND_CLIENTS);
  await moduleRef.close();
  return clients;
}

describe('outboundClientsProvider', () => {
  it('registers only email (the log mailer) when nothing else is configured', async () => {
    const clients = await clientsFor({});
    expect(clients.map((client) => client.channel)).toEqual(['email']);
    expect(clients[0]).toBeInstanceOf(SmtpEmailClient);
  });

  it('registers a client for every configured channel', async () => {
    const clients = await clientsFor({
      WHATSAPP_API_URL: 'https://graph.facebook.com/v23.0/106540352242922/messages',
      WHATSAPP_ACCESS_TOKEN: 'token',
      SMS_API_URL: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json',
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 'secret',
      TWILIO_FROM_NUMBER: '+15017122661',
      MAIL_MAILER: 'smtp',
      MAIL_HOST: 'smtp.example.com',
      WEB_WEBHOOK_URL: 'https://hooks.example.com/messages',
      WEB_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    expect(clients.map((client) => client.channel)).toEqual(['whatsapp', 'sms', 'email', 'web']);
    expect(clients.map((client) => client.constructor)).toEqual([
      WhatsappCloudClient,
      TwilioSmsClient,
      SmtpEmailClient,
      WebWebhookClient,
    ]);
  });
});
