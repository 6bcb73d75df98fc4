import type { MailerOptions } from '@nestjs-modules/mailer';
import type { AppConfig, MailConfig } from '../../platform/config/app-config';

/**
 * Options for `MailerModule.forRootAsync`. Plain text only, so no template adapter. With the
 * `log` mailer SmtpEmailClient never calls the transport; a JSON transport stands in so that
 * MailerService can still be constructed without an SMTP host.
 */
export function mailerOptions(config: AppConfig): MailerOptions {
  const { mail } = config;
  if (mail.mailer === 'log') return { transport: { jsonTransport: true } };
  return { transport: smtpTransport(mail, config.outbound.httpTimeoutMs) };
}

/** One mailbox's SMTP transport: the environment's default one, or an API sender's named one. */
export function smtpTransport(mail: MailConfig, timeout: number) {
  return {
    // A pool reuses SMTP sessions across messages instead of a TCP + TLS + AUTH round per send.
    pool: true,
    host: mail.host,
    port: mail.port,
    // Left unset, nodemailer upgrades with STARTTLS whenever the server offers it (and then
    // verifies its certificate), so credentials never cross in clear unless `none` was asked for.
    secure: mail.encryption === 'tls',
    requireTLS: mail.encryption === 'starttls',
    ignoreTLS: mail.encryption === 'none',
    ...(mail.username && { auth: { user: mail.username, pass: mail.password } }),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  };
}
