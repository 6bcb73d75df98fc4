import { MailerModule, MailerService } from '@nestjs-modules/mailer';
import { Logger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { loadConfig, MailConfig } from '../../platform/config/app-config';
import type { OutboundMessage } from '../outbound-client';
import { SmtpEmailClient } from './smtp-email.client';
import { mailerOptions } from './mail-transport';
import { SendError } from '../../shared/send-error';

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  id: '01930000-0000-7000-8000-000000000003',
  conversationId: '01930000-0000-7000-8000-0000000000c3',
  channel: 'email',
  recipient: 'jane.doe@example.org',
  body: 'Your order has shipped.',
  subject: 'Order 12345',
  template: null,
  createdAt: new Date('2025-06-01T12:00:00Z'),
  attachments: [],
  ...overrides,
});

const MESSAGE_ID = '<01930000-0000-7000-8000-000000000003@support.example.com>';

const mailConfig = (overrides: Partial<MailConfig> = {}): MailConfig => ({
  mailer: 'smtp',
  host: 'smtp.example.com',
  port: 587,
  encryption: 'starttls',
  fromAddress: 'help@support.example.com',
  fromName: 'Acme Support',
  ...overrides,
});

/** Records what the sender asks of the mailer; MailerService's own behaviour is tested below. */
const recordingMailer = (outcome: () => Promise<unknown> = async () => ({})) => {
  const calls: unknown[] = [];
  const mailer = {
    sendMail: (options: unknown) => {
      calls.push(options);
      return outcome();
    },
  } as unknown as MailerService;
  return { mailer, calls };
};

describe('SmtpEmailClient', () => {
  it('sends plain text with our Message-ID and returns it', async () => {
    const { mailer, calls } = recordingMailer();

    await expect(new SmtpEmailClient(mailConfig(), mailer).send(message())).resolves.toEqual({
      providerMessageId: MESSAGE_ID,
    });
    expect(calls).toStrictEqual([
      {
        from: { name: 'Acme Support', address: 'help@support.example.com' },
        to: 'jane.doe@example.org',
        subject: 'Order 12345',
        text: 'Your order has shipped.',
        messageId: MESSAGE_ID,
      },
    ]);
  });

  it('uses the bare address without a from name, and a placeholder subject', async () => {
    const { mailer, calls } = recordingMailer();

    await new SmtpEmailClient(mailConfig({ fromName: undefined }), mailer).send(
      message({ subject: null }),
    );
    expect(calls[0]).toMatchObject({ from: 'help@support.example.com', subject: '(no subject)' });
  });

  it('classifies what the mailer throws', async () => {
    const rejected = Object.assign(new Error('550 5.1.1 <jane.doe@example.org>: unknown user'), {
      code: 'EENVELOPE',
      responseCode: 550,
    });
    const { mailer } = recordingMailer(() => Promise.reject(rejected));

    const failure = new SmtpEmailClient(mailConfig(), mailer).send(message());
    await expect(failure).rejects.toBeInstanceOf(SendError);
    await expect(failure).rejects.toMatchObject({
      kind: 'permanent',
      providerCode: 550,
      message: 'smtp error 550: 550 5.1.1 <j***@example.org>: unknown user',
    });
  });

  describe('with the log mailer', () => {
    afterEach(() => jest.restoreAllMocks());

    it('only logs, without the body or the full address, and says so in the result', async () => {
      const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
      const { mailer, calls } = recordingMailer();

      await expect(
        new SmtpEmailClient(mailConfig({ mailer: 'log' }), mailer).send(message()),
      ).resolves.toEqual({ providerMessageId: MESSAGE_ID, driver: 'log' });

      expect(calls).toHaveLength(0);
      expect(log).toHaveBeenCalledTimes(1);
      const logged = JSON.stringify(log.mock.calls[0]);
      expect(logged).toContain('j***@example.org');
      expect(logged).toContain('01930000-0000-7000-8000-000000000003');
      expect(logged).not.toContain('jane.doe');
      expect(logged).not.toContain('shipped');
    });
  });

  describe('through MailerService and a real SMTP server', () => {
    let smtp: SMTPServer;
    let moduleRef: TestingModule;
    let mailer: MailerService;
    const received: string[] = [];

    beforeAll(async () => {
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        disableReverseLookup: true,
        onRcptTo(address, _session, callback) {
          const [local] = address.address.split('@');
          if (local === 'unknown') {
            return callback(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
          }
          if (local === 'busy') {
            return callback(Object.assign(new Error('4.2.2 Mailbox full'), { responseCode: 452 }));
          }
          callback();
        },
        onData(stream, _session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            received.push(Buffer.concat(chunks).toString('utf8'));
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      const { port } = smtp.server.address() as AddressInfo;

      const config = loadConfig({
        MAIL_MAILER: 'smtp',
        MAIL_HOST: '127.0.0.1',
        MAIL_PORT: String(port),
        MAIL_ENCRYPTION: 'none',
        MAIL_FROM_ADDRESS: 'help@support.example.com',
        MAIL_FROM_NAME: 'Acme Support',
        OUTBOUND_HTTP_TIMEOUT_MS: '2000',
      });
      moduleRef = await Test.createTestingModule({
        imports: [MailerModule.forRoot(mailerOptions(config))],
      }).compile();
      mailer = moduleRef.get(MailerService);
    });

    afterAll(async () => {
      await moduleRef.close();
      await new Promise<void>((resolve) => smtp.close(resolve));
    });

    it('delivers the message with our Message-ID header', async () => {
      const sender = new SmtpEmailClient(mailConfig(), mailer);

      await expect(sender.send(message())).resolves.toEqual({ providerMessageId: MESSAGE_ID });
      expect(received).toHaveLength(1);
      const [raw] = received;
      expect(raw).toMatch(new RegExp(`^Message-ID: ${MESSAGE_ID}\\r?$`, 'mi'));
      expect(raw).toMatch(/^From: Acme Support <help@support\.example\.com>\r?$/im);
      expect(raw).toMatch(/^Subject: Order 12345\r?$/im);
      expect(raw).toContain('Your order has shipped.');
    });

    it.each([
      ['unknown@example.org', 'permanent', 550],
      ['busy@example.org', 'transient', 452],
    ] as const)('a rejected recipient %s is %s (%i)', async (recipient, kind, code) => {
      const sender = new SmtpEmailClient(mailConfig(), mailer);

      await expect(sender.send(message({ recipient }))).rejects.toMatchObject({
        kind,
        providerCode: code,
        message: expect.not.stringContaining(recipient),
      });
    });
  });
});
