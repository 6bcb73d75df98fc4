import type { MailerService } from '@nestjs-modules/mailer';
import { loadConfig } from '../../platform/config/app-config';
import { SmtpEmailClient } from '../../providers/smtp/smtp-email.client';
import { WebWebhookClient } from '../../providers/standard-webhooks/web-webhook.client';
import { TwilioSmsClient } from '../../providers/twilio/twilio-sms.client';
import { WhatsappCloudClient } from '../../providers/whatsapp-cloud/whatsapp-cloud.client';
import type { ResolvedSender } from '../senders/sender-directory';
import { SenderClients } from './sender-clients';

const sender = (fields: Partial<ResolvedSender>): ResolvedSender => ({
  id: 'a1',
  channel: 'web',
  name: 'Web',
  source: 'api',
  status: 'enabled',
  rateLimitPerSecond: 50,
  settings: { url: 'https://hooks.example.com', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  canSend: true,
  version: 1,
  ...fields,
});

const mail = { mailer: 'smtp', host: 'smtp.example.com', port: 587, fromAddress: 'a@example.com' };

describe('SenderClients', () => {
  const transporters: string[] = [];
  const mailer = {
    addTransporter: (name: string) => (transporters.push(name), name),
  } as unknown as MailerService;
  const clients = () => new SenderClients(loadConfig({}), mailer);
  beforeEach(() => (transporters.length = 0));

  it('builds the client of each channel from the sender’s settings', () => {
    const built = clients();
    expect(
      [
        sender({ id: 'w', channel: 'whatsapp', settings: { apiUrl: 'https://g/1/messages' } }),
        sender({ id: 's', channel: 'sms', settings: { apiUrl: 'https://t', accountSid: 'AC1' } }),
        sender({ id: 'e', channel: 'email', settings: mail }),
        sender({ id: 'h', channel: 'web' }),
      ].map((one) => built.clientFor(one).constructor),
    ).toEqual([WhatsappCloudClient, TwilioSmsClient, SmtpEmailClient, WebWebhookClient]);
  });

  it('keeps one client per sender until the sender changes', () => {
    const built = clients();
    const first = built.clientFor(sender({ version: 1 }));
    expect(built.clientFor(sender({ version: 1 }))).toBe(first);
    expect(built.clientFor(sender({ id: 'b2', version: 1 }))).not.toBe(first);
    expect(built.clientFor(sender({ version: 2 }))).not.toBe(first);
  });

  it('gives an API mailbox its own transport and the environment’s the default one', () => {
    const built = clients();
    built.clientFor(sender({ id: 'api-box', channel: 'email', settings: mail }));
    built.clientFor(
      sender({ id: 'env-box', channel: 'email', settings: mail, source: 'environment' }),
    );
    expect(transporters).toEqual(['sender-api-box']);
  });
});
