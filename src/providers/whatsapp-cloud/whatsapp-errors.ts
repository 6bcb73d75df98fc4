import { httpStatusError, maskPhoneNumbers } from '../provider-http';
import { SendError, ThrottleScope } from '../../shared/send-error';

// Graph API error codes (Meta's Cloud API error reference). Meta says to decide on `error.code`,
// never on the HTTP status (throttling arrives as 400) or the title text.
const TRANSIENT_CODES = new Set([
  1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131056, 131057,
  // Spam rate limit: retrying soon will not help, but the message itself is fine.
  131048,
]);

/** The app, account or number is throttled: every message of the channel has to wait. */
const CHANNEL_RATE_LIMIT_CODES = new Set([4, 17, 341, 80007, 130429]);

/** Too many messages from our number to this one user: only messages to that user wait. */
const PAIR_RATE_LIMIT = 131056;

/**
 * Meta caps how many marketing messages one user receives from all businesses and tells senders
 * not to retry for at least a day. Retrying within our minutes-long schedule would only spend
 * tries, so the message fails at once with what to do instead.
 */
const MARKETING_USER_LIMIT = 131049;
const MARKETING_USER_LIMIT_ADVICE =
  'not retried: Meta limits marketing messages per user; retry it no sooner than 24 h later';

const PERMANENT_CODES = new Set([
  0, 3, 10, 100, 190, 368, 131005, 131008, 131009, 131021, 131026, 131030, 131031, 131042, 131045,
  131047, 131050, 131051, 131052, 131053, 132000, 132001, 132005, 132007, 132008, 132012, 132015,
  132016, 133010,
]);

/** 200–299: a permission the token was never granted. */
const isPermissionCode = (code: number) => code >= 200 && code <= 299;

// Graph never echoes the token today; this keeps a future echo out of logs and last_error.
const ACCESS_TOKEN = /\bEAA[A-Za-z0-9]{16,}/g;

interface GraphError {
  code?: unknown;
  message?: unknown;
  error_user_title?: unknown;
  error_data?: { details?: unknown };
  fbtrace_id?: unknown;
}

/** Turns a failed Cloud API response into a SendError whose message a person can act on. */
export function classifyWhatsappError(
  httpStatus: number,
  body: unknown,
  retryAfterMs?: number,
): SendError {
  const error = (body as { error?: GraphError } | null)?.error;
  const code = graphCode(error?.code);
  if (error === undefined || code === undefined) {
    return httpStatusError(httpStatus, `whatsapp error: HTTP ${httpStatus}`, { retryAfterMs });
  }
  const message = readableMessage(code, error);
  if (code === MARKETING_USER_LIMIT) {
    return SendError.permanent(`${message}; ${MARKETING_USER_LIMIT_ADVICE}`, {
      httpStatus,
      providerCode: code,
    });
  }
  if (code === PAIR_RATE_LIMIT) {
    return SendError.transient(message, {
      httpStatus,
      providerCode: code,
      retryAfterMs: Math.max(retryAfterMs ?? 0, RECIPIENT_THROTTLE_DELAY_MS),
      rateLimited: 'recipient',
    });
  }
  if (TRANSIENT_CODES.has(code)) {
    return SendError.transient(message, {
      httpStatus,
      providerCode: code,
      retryAfterMs,
      rateLimited: throttleScope(code),
    });
  }
  if (PERMANENT_CODES.has(code) || isPermissionCode(code)) {
    return SendError.permanent(message, { httpStatus, providerCode: code });
  }
  return httpStatusError(httpStatus, message, { providerCode: code, retryAfterMs });
}

function throttleScope(code: number): ThrottleScope | undefined {
  return CHANNEL_RATE_LIMIT_CODES.has(code) ? 'channel' : undefined;
}

function graphCode(value: unknown): number | undefined {
  const code = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

function readableMessage(code: number, error: GraphError): string {
  // Graph embeds the code in the title: "(#131030) Recipient phone number not in allowed list".
  const title =
    text(error.message)?.replace(/^\(#\d+\)\s*/, '') ||
    text(error.error_user_title) ||
    'unknown error';
  const details = text(error.error_data?.details);
  const trace = text(error.fbtrace_id);
  return (
    `whatsapp error ${code}: ${title}` +
    (details && details !== title ? ` (${details})` : '') +
    (trace ? ` [fbtrace_id ${trace}]` : '')
  );
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return maskPhoneNumbers(value.trim().replace(ACCESS_TOKEN, '[redacted token]'));
}

/**
 * The shortest wait before re-sending to a recipient whose pair rate limit we hit (WhatsApp
 * 131056): Meta allows about one message every 6 seconds from one business number to one user.
 */
export const RECIPIENT_THROTTLE_DELAY_MS = 6_000;
