import { MailerModule } from '@nestjs-modules/mailer';
import { Test } from '@nestjs/testing';
import { loadConfig } from '../../../platform/config/app-config';
import { APP_CONFIG, ConfigModule } from '../../../platform/config/config.module';
import { CHANNEL_SENDERS, ChannelSender } from './channel-sender';
import { channelSendersProvider } from './channel-senders.provider';
import { EmailSender } from './email.sender';
import { mailerOptions } from './mail-transport';
import { TwilioSmsSender } from './twilio-sms.sender';
import { WebWebhookSender } from './web-webhook.sender';
import { WhatsappCloudSender } from './whatsapp-cloud.sender';

/** Boots the provider the way the worker module will, with the mailer module alongside. */
async function sendersFor(env: Record<string, string>): Promise<ChannelSender[]> {
  const config = loadConfig(env);
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      MailerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: mailerOptions }),
    ],
    providers: [channelSendersProvider],
  }).compile();
  const senders = moduleRef.get<ChannelSender[]>(CHANNEL_SENDERS);
  await moduleRef.close();
  return senders;
}

describe('channelSendersProvider', () => {
  it('registers only email (the log mailer) when nothing else is configured', async () => {
    const senders = await sendersFor({});
    expect(senders.map((sender) => sender.channel)).toEqual(['email']);
    expect(senders[0]).toBeInstanceOf(EmailSender);
  });

  it('registers a sender for every configured channel', async () => {
    const senders = await sendersFor({
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
    expect(senders.map((sender) => sender.channel)).toEqual(['whatsapp', 'sms', 'email', 'web']);
    expect(senders.map((sender) => sender.constructor)).toEqual([
      WhatsappCloudSender,
      TwilioSmsSender,
      EmailSender,
      WebWebhookSender,
    ]);
  });
});
