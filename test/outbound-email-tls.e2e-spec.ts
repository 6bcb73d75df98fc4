import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConversation } from './support/factories';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { SmtpStandIn, startSmtpStandIn } from './stand-ins/smtp-stand-in';

// A self-signed certificate for 127.0.0.1; the worker trusts it through NODE_EXTRA_CA_CERTS, as a
// deployment would trust a private CA.
const TLS_DIR = join(__dirname, 'fixtures', 'smtp-tls');
const CREDENTIALS = { user: 'mailer', pass: 'smtp-secret' };

describe('Outbound email encryption (MAIL_ENCRYPTION)', () => {
  let stack: OutboundStack;
  let smtp: SmtpStandIn;

  beforeAll(async () => {
    smtp = await startSmtpStandIn({
      auth: CREDENTIALS,
      tls: {
        key: readFileSync(join(TLS_DIR, 'key.pem'), 'utf8'),
        cert: readFileSync(join(TLS_DIR, 'cert.pem'), 'utf8'),
      },
    });
    stack = await startOutboundStack({}, { worker: false });
  });
  beforeEach(() => smtp.reset());
  afterEach(async () => {
    await Promise.all(stack.workers.splice(0).map((worker) => worker.stop()));
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const sendThrough = async (encryption: string) => {
    await stack.startWorker({
      MAIL_PORT: String(smtp.port),
      MAIL_USERNAME: CREDENTIALS.user,
      MAIL_PASSWORD: CREDENTIALS.pass,
      MAIL_ENCRYPTION: encryption,
      NODE_EXTRA_CA_CERTS: join(TLS_DIR, 'cert.pem'),
    });
    const conversation = await createConversation(stack.api, 'email');
    const message = await stack.send(conversation.id, 'email', { body: 'Your invoice' });
    await stack.waitForStatus(message.id, ['sent']);
    const [mail] = await smtp.waitForMessages(1);
    return mail;
  };

  it('upgrades to TLS with STARTTLS when the server offers it and MAIL_ENCRYPTION is not set', async () => {
    const mail = await sendThrough('');
    expect(mail).toMatchObject({ secure: true, user: CREDENTIALS.user });
  });

  it('stays in plain text only when MAIL_ENCRYPTION=none is set explicitly', async () => {
    const mail = await sendThrough('none');
    expect(mail).toMatchObject({ secure: false, user: CREDENTIALS.user });
  });
});
