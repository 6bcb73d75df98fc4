import { loadConfig } from '../../platform/config/app-config';
import { mailerOptions } from './mail-transport';

const smtpEnv = {
  MAIL_MAILER: 'smtp',
  MAIL_HOST: 'smtp.example.com',
  MAIL_PORT: '465',
  MAIL_FROM_ADDRESS: 'help@example.com',
  OUTBOUND_HTTP_TIMEOUT_MS: '5000',
};

describe('mailerOptions', () => {
  it('uses a JSON transport for the log mailer, so no SMTP host is needed', () => {
    expect(mailerOptions(loadConfig({ MAIL_MAILER: 'log' }))).toStrictEqual({
      transport: { jsonTransport: true },
    });
  });

  it('builds a pooled SMTP transport with the provider timeout and credentials', () => {
    const options = mailerOptions(
      loadConfig({
        ...smtpEnv,
        MAIL_ENCRYPTION: 'tls',
        MAIL_USERNAME: 'mailer',
        MAIL_PASSWORD: 'pw',
      }),
    );
    expect(options).toStrictEqual({
      transport: {
        pool: true,
        host: 'smtp.example.com',
        port: 465,
        secure: true,
        requireTLS: false,
        ignoreTLS: false,
        auth: { user: 'mailer', pass: 'pw' },
        connectionTimeout: 5000,
        greetingTimeout: 5000,
        socketTimeout: 5000,
      },
    });
  });

  it.each([
    ['tls', { secure: true, requireTLS: false, ignoreTLS: false }],
    ['starttls', { secure: false, requireTLS: true, ignoreTLS: false }],
    ['none', { secure: false, requireTLS: false, ignoreTLS: true }],
  ])('maps MAIL_ENCRYPTION=%s', (encryption, expected) => {
    const { transport } = mailerOptions(loadConfig({ ...smtpEnv, MAIL_ENCRYPTION: encryption }));
    expect(transport).toMatchObject(expected);
  });

  it('upgrades with STARTTLS whenever offered when MAIL_ENCRYPTION is not set', () => {
    const { transport } = mailerOptions(loadConfig({ ...smtpEnv, MAIL_ENCRYPTION: '' }));
    expect(transport).toMatchObject({ secure: false, requireTLS: false, ignoreTLS: false });
  });

  it('sends no credentials when MAIL_USERNAME is not set', () => {
    const { transport } = mailerOptions(loadConfig(smtpEnv));
    expect(transport).not.toHaveProperty('auth');
  });
});
