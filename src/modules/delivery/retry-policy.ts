import { SendError } from './senders/send-error';

/**
 * The wait before retry number `retry` (1-based): the configured delay for it (the last one
 * repeats, should BullMQ ever ask for more), never shorter than the provider's Retry-After.
 */
export function retryDelayMs(delays: number[], retry: number, retryAfterMs = 0): number {
  const configured = delays.length === 0 ? 0 : delays[Math.min(retry, delays.length) - 1];
  return Math.max(configured, retryAfterMs);
}

/**
 * BullMQ's `backoffStrategy` for jobs that retry with the custom backoff `backoffType`: the next
 * of `delays`, never shorter than the Retry-After of the SendError that failed the try.
 */
export function retryBackoff(backoffType: string, delays: number[]) {
  return (attemptsMade: number, type?: string, error?: Error): number =>
    type === backoffType
      ? retryDelayMs(
          delays,
          attemptsMade,
          error instanceof SendError ? error.retryAfterMs : undefined,
        )
      : 0;
}

/** How long to pause a whole channel after the provider throttled us without a Retry-After. */
export const DEFAULT_THROTTLE_PAUSE_MS = 1_000;

/**
 * The longest Retry-After we honour. A provider (or a web endpoint) answering `Retry-After: 86400`
 * would otherwise stop a whole channel for a day; after 15 minutes we ask again.
 */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * The shortest wait before re-sending to a recipient whose pair rate limit we hit (WhatsApp
 * 131056): Meta allows about one message every 6 seconds from one business number to one user.
 */
export const RECIPIENT_THROTTLE_DELAY_MS = 6_000;

/**
 * Throttled tries do not spend the message's retries (the provider never took the message), but
 * they are bounded so that a provider stuck in 429 still ends in a readable failure.
 */
export const MAX_THROTTLED_TRIES = 20;
