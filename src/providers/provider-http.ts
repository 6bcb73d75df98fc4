import axios, { AxiosInstance } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { SendError, SendErrorDetails } from '../shared/send-error';

// Close idle sockets before providers' load balancers (often 60 s) do, so a request is not written
// into a connection the other side is tearing down; Node shortens it further when a response
// announces `Keep-Alive: timeout=N`.
const IDLE_SOCKET_TIMEOUT_MS = 30_000;

const HTTP_DATE = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i;

// Seven or more digits, possibly split by spaces, dots, dashes or parentheses, and not part of a
// longer alphanumeric token (ids, hashes): what a phone number looks like inside provider prose.
const PHONE_LIKE = /(?<![A-Za-z0-9])\+?\(?\d(?:[ ().-]{0,2}\d){6,}(?![A-Za-z0-9])/g;

/**
 * One client per provider, reusing connections: a keep-alive agent costs a fraction of the CPU of
 * a TLS handshake per message. Statuses are classified by the senders, so axios never throws on
 * them, and redirects are not followed (a provider that redirects a send is misconfigured).
 */
export function createProviderHttp(timeoutMs: number): AxiosInstance {
  const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS };
  return axios.create({
    timeout: timeoutMs,
    httpAgent: new http.Agent(agentOptions),
    httpsAgent: new https.Agent(agentOptions),
    maxRedirects: 0,
    validateStatus: () => true,
    transitional: { clarifyTimeoutError: true },
  });
}

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date (a date in the past means
 * "now", 0), at most MAX_RETRY_AFTER_MS. Undefined when absent or unreadable, so callers fall back
 * on their own delays.
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  const waitMs = readRetryAfter(Array.isArray(value) ? value[0] : value, now);
  return waitMs === undefined ? undefined : Math.min(waitMs, MAX_RETRY_AFTER_MS);
}

function readRetryAfter(raw: unknown, now: number): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw * 1000 : undefined;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse accepts almost anything ("1" is the year 2001), so only try it on an HTTP-date.
  if (!HTTP_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The classification all providers share, for statuses their own tables do not settle:
 * 429 and 5xx are worth retrying (429 pauses the whole sender), anything else is final.
 */
export function httpStatusError(
  status: number,
  message: string,
  details: Pick<SendErrorDetails, 'providerCode' | 'retryAfterMs'> = {},
): SendError {
  if (status === 429 || status >= 500) {
    return SendError.transient(message, {
      ...details,
      httpStatus: status,
      rateLimited: status === 429 ? 'channel' : undefined,
    });
  }
  return SendError.permanent(message, { providerCode: details.providerCode, httpStatus: status });
}

/**
 * A request that got no HTTP answer (refused, reset, DNS, timeout). Always transient; the text
 * names the provider and the cause, never the request config (it holds the credentials).
 */
export function requestFailure(provider: string, error: unknown): SendError {
  const { code, message, config } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    config?: { timeout?: unknown };
  };
  // clarifyTimeoutError above makes axios report its own timeout as ETIMEDOUT too.
  if (code === 'ETIMEDOUT') {
    const timeout = typeof config?.timeout === 'number' ? ` after ${config.timeout} ms` : '';
    return SendError.transient(`${provider} request timed out${timeout}`);
  }
  const reason = typeof message === 'string' && message ? message : String(code ?? 'unknown error');
  const prefix = typeof code === 'string' && !reason.includes(code) ? `${code} ` : '';
  return SendError.transient(`${provider} request failed: ${prefix}${reason}`);
}

/** Keeps the last two digits of anything phone-like: logs and last_error never hold full numbers. */
export function maskPhoneNumbers(text: string): string {
  return text.replace(PHONE_LIKE, (match) => {
    let digitsLeft = match.replace(/\D/g, '').length;
    return match.replace(/\d/g, (digit) => (digitsLeft-- > 2 ? '*' : digit));
  });
}

/**
 * The longest Retry-After we honour. A provider (or a web endpoint) answering `Retry-After: 86400`
 * would otherwise stop a whole channel for a day; after 15 minutes we ask again.
 */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;
