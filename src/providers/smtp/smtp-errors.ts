import { SendError } from '../../shared/send-error';

// Errors with no SMTP reply where the credentials, the envelope or the TLS policy are wrong:
// retrying sends the same thing again. Every other code without a reply (ECONNECTION, ETIMEDOUT,
// ESOCKET, EDNS, ECONNREFUSED, ...) means the connection failed, and a later try may succeed.
const PERMANENT_CODES = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'EENVELOPE',
  'ECONFIG',
  'EREQUIRETLS',
]);

const EMAIL_ADDRESS = /([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)/g;

interface SmtpError {
  code?: unknown;
  responseCode?: unknown;
  message?: unknown;
}

/**
 * Classifies a nodemailer failure: by the SMTP reply code when the server answered (RFC 5321:
 * 4yz transient, 5yz permanent), otherwise by the error code. Anything unrecognised is
 * transient, so the bounded retries decide rather than a guess.
 */
export function classifySmtpError(error: unknown): SendError {
  const { code, responseCode, message } = (error ?? {}) as SmtpError;
  const reply = typeof responseCode === 'number' ? responseCode : undefined;
  const errorCode = typeof code === 'string' ? code : undefined;
  const providerCode = reply ?? errorCode;
  const reason = maskEmailAddresses(typeof message === 'string' ? message : String(error));
  const text = `smtp error${providerCode === undefined ? '' : ` ${providerCode}`}: ${reason}`;

  if (reply !== undefined && reply >= 500 && reply < 600) {
    return SendError.permanent(text, { providerCode });
  }
  if (reply !== undefined && reply >= 400 && reply < 500) {
    return SendError.transient(text, { providerCode });
  }
  if (errorCode !== undefined && PERMANENT_CODES.has(errorCode)) {
    return SendError.permanent(text, { providerCode });
  }
  return SendError.transient(text, { providerCode });
}

/** `jane.doe@example.com` → `j***@example.com`: enough to tell addresses apart in a log. */
export function maskEmailAddresses(text: string): string {
  return text.replace(
    EMAIL_ADDRESS,
    (_, local: string, domain: string) => `${local[0]}***@${domain}`,
  );
}
