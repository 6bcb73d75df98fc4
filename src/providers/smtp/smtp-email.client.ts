import type { MailerService } from '@nestjs-modules/mailer';
import { Logger } from '@nestjs/common';
import type { MailConfig } from '../../platform/config/app-config';
import type { Channel } from '../../shared/channel';
import type { OutboundClient, OutboundMessage, SendResult } from '../outbound-client';
import { classifySmtpError, maskEmailAddresses } from './smtp-errors';

/**
 * Plain-text email over SMTP (or, with MAIL_MAILER=log, only a log line). The Message-ID is ours,
 * `<message id@from domain>`, so replies can be threaded by their In-Reply-To.
 */
export class SmtpEmailClient implements OutboundClient {
  readonly channel: Channel = 'email';
  private readonly logger = new Logger(SmtpEmailClient.name);
  private readonly messageIdDomain: string;

  constructor(
    private readonly settings: MailConfig,
    private readonly mailer: MailerService,
    /** An API mailbox's own transport (MailerService.addTransporter); unset: the default one. */
    private readonly transporterName?: string,
  ) {
    this.messageIdDomain = settings.fromAddress.slice(settings.fromAddress.lastIndexOf('@') + 1);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const messageId = `<${message.id}@${this.messageIdDomain}>`;
    if (this.settings.mailer === 'log') {
      this.logger.log(
        { messageId: message.id, to: maskEmailAddresses(message.recipient), driver: 'log' },
        'MAIL_MAILER=log: email not sent, only logged',
      );
      return { providerMessageId: messageId, driver: 'log' };
    }

    const { fromName, fromAddress } = this.settings;
    try {
      await this.mailer.sendMail({
        ...(this.transporterName && { transporterName: this.transporterName }),
        from: fromName ? { name: fromName, address: fromAddress } : fromAddress,
        to: message.recipient,
        subject: message.subject ?? '(no subject)',
        text: message.body ?? '',
        messageId,
        ...(message.attachments.length > 0 && {
          attachments: await Promise.all(
            message.attachments.map(async (attachment) => ({
              filename: attachment.filename ?? attachment.id,
              contentType: attachment.contentType,
              content: await attachment.open(),
            })),
          ),
        }),
      });
    } catch (error) {
      throw classifySmtpError(error);
    }
    return { providerMessageId: messageId };
  }
}
