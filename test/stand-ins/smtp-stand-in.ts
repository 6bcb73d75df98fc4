import { once } from 'node:events';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { readAll, waitUntil } from './stand-in-support';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  parsed: ParsedMail;
  /** The message source as sent after DATA. */
  raw: string;
  /** Whether the session had been upgraded to TLS (STARTTLS) when the message was sent. */
  secure: boolean;
  /** The AUTH user name, when the client authenticated. */
  user?: string;
  receivedAt: number;
}

export interface SmtpFailure {
  /** 4xx is transient (e.g. 451), 5xx permanent (e.g. 550). */
  code: number;
  message?: string;
  /** Which reply carries the error; DATA by default, RCPT TO to reject the recipient. */
  stage?: 'data' | 'rcpt';
}

export interface SmtpStandInOptions {
  /** Require AUTH with these credentials, as when MAIL_USERNAME / MAIL_PASSWORD are set. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with this certificate (PEM), as most submission servers do. */
  tls?: { key: string; cert: string };
}

// Long enough for a client to finish its QUIT, short enough that close() never stalls a test run.
const CLOSE_TIMEOUT_MS = 200;

export class SmtpStandIn {
  readonly host = '127.0.0.1';
  readonly messages: ReceivedMail[] = [];

  private readonly server: SMTPServer;
  private failures: SmtpFailure[] = [];

  constructor({ auth, tls }: SmtpStandInOptions = {}) {
    this.server = new SMTPServer({
      secure: false,
      ...tls,
      // Without AUTH advertised, a client configured with credentials simply sends unauthenticated.
      disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(auth ? [] : ['AUTH'])],
      authOptional: !auth,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      closeTimeout: CLOSE_TIMEOUT_MS,
      logger: false,
      onAuth: ({ username, password }, _session, callback) => {
        if (username === auth?.user && password === auth?.pass) {
          return callback(null, { user: username });
        }
        callback(smtpError(535, 'Authentication credentials invalid'));
      },
      onRcptTo: (_address, _session, callback) => callback(this.takeFailure('rcpt')),
      onData: (stream, session, callback) => {
        readAll(stream)
          .then(async (raw) => {
            const failure = this.takeFailure('data');
            if (failure) return callback(failure);
            const { mailFrom, rcptTo } = session.envelope;
            this.messages.push({
              envelope: {
                from: mailFrom ? mailFrom.address : '',
                to: rcptTo.map((r) => r.address),
              },
              parsed: await simpleParser(raw),
              raw: raw.toString('utf8'),
              secure: session.secure,
              user: session.user as string | undefined,
              receivedAt: Date.now(),
            });
            callback();
          })
          .catch((error: Error) => callback(smtpError(451, `stand-in failed: ${error.message}`)));
      },
    });
    // Client resets surface as 'error' events; unhandled, they would crash the test process.
    this.server.on('error', () => undefined);
  }

  get port(): number {
    const address = this.server.server.address();
    if (!address || typeof address === 'string') throw new Error('SMTP stand-in is not listening');
    return address.port;
  }

  async listen(): Promise<void> {
    this.server.listen(0, this.host);
    await once(this.server.server, 'listening');
  }

  /** The next `count` messages get `failure` as the reply to DATA (or RCPT TO). */
  failNext(count: number, failure: SmtpFailure): void {
    this.failures.push(...Array<SmtpFailure>(count).fill(failure));
  }

  async waitForMessages(count: number, timeoutMs = 15_000): Promise<ReceivedMail[]> {
    await waitUntil(
      () => this.messages.length >= count,
      timeoutMs,
      () =>
        `SMTP stand-in: expected ${count} message(s) within ${timeoutMs} ms, got ${this.messages.length}`,
    );
    return [...this.messages];
  }

  reset(): void {
    this.messages.length = 0;
    this.failures = [];
  }

  async close(): Promise<void> {
    if (!this.server.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(resolve));
  }

  private takeFailure(stage: 'data' | 'rcpt'): SMTPServerError | undefined {
    const next = this.failures[0];
    if (!next || (next.stage ?? 'data') !== stage) return undefined;
    this.failures.shift();
    const fallback = next.code >= 500 ? 'Requested action not taken' : 'Requested action aborted';
    return smtpError(next.code, next.message ?? fallback);
  }
}

export async function startSmtpStandIn(options?: SmtpStandInOptions): Promise<SmtpStandIn> {
  const standIn = new SmtpStandIn(options);
  await standIn.listen();
  return standIn;
}

function smtpError(responseCode: number, message: string): SMTPServerError {
  return Object.assign(new Error(message), { responseCode });
}
