import { httpStatusError, maskPhoneNumbers } from '../provider-http';
import { SendError } from '../../shared/send-error';

// "Too many requests": Twilio never processed the request, so a retry cannot double-send.
const RATE_LIMIT_CODE = 20429;

// PROVIDERS.md §3.3. Listed although most arrive as 4xx anyway, so that the decision rests on
// Twilio's code even if a proxy or a future API version changes the status.
const PERMANENT_CODES = new Set([
  20003, // authentication failed
  20404, // resource not found (wrong account SID in the URL)
  21211, // invalid To
  21408, // region not enabled
  21601, // From not SMS-capable
  21606, // From not owned by the account
  21608, // unverified To on a trial account
  21610, // recipient replied STOP
  21612, // To unroutable
  21614, // To not a mobile number
  21617, // body too long
]);

interface TwilioError {
  code?: unknown;
  message?: unknown;
}

/** Turns a failed Messages API response into a SendError; the text never holds a full number. */
export function classifyTwilioError(
  httpStatus: number,
  body: unknown,
  retryAfterMs?: number,
): SendError {
  const error = (typeof body === 'object' && body !== null ? body : {}) as TwilioError;
  const code =
    typeof error.code === 'number' && Number.isInteger(error.code) ? error.code : undefined;
  const text = typeof error.message === 'string' ? maskPhoneNumbers(error.message.trim()) : '';
  const message =
    code === undefined
      ? `twilio error: HTTP ${httpStatus}${text ? ` ${text}` : ''}`
      : `twilio error ${code}: ${text || `HTTP ${httpStatus}`}`;

  if (code === RATE_LIMIT_CODE) {
    return SendError.transient(message, {
      httpStatus,
      providerCode: code,
      retryAfterMs,
      rateLimited: 'channel',
    });
  }
  if (code !== undefined && PERMANENT_CODES.has(code)) {
    return SendError.permanent(message, { httpStatus, providerCode: code });
  }
  return httpStatusError(httpStatus, message, { providerCode: code, retryAfterMs });
}
