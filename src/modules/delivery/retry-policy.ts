/**
 * The wait before retry number `retry` (1-based): the configured delay for it (the last one
 * repeats, should BullMQ ever ask for more), never shorter than the provider's Retry-After.
 */
export function retryDelayMs(delays: number[], retry: number, retryAfterMs = 0): number {
  const configured = delays.length === 0 ? 0 : delays[Math.min(retry, delays.length) - 1];
  return Math.max(configured, retryAfterMs);
}

/** How long to pause a whole channel after the provider throttled us without a Retry-After. */
export const DEFAULT_THROTTLE_PAUSE_MS = 1_000;

/**
 * Throttled tries do not spend the message's retries (the provider never took the message), but
 * they are bounded so that a provider stuck in 429 still ends in a readable failure.
 */
export const MAX_THROTTLED_TRIES = 20;
