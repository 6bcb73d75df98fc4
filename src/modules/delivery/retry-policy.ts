/** How long to pause a sender after its provider throttled it without a Retry-After. */
export const DEFAULT_THROTTLE_PAUSE_MS = 1_000;

/**
 * Throttled tries do not spend the message's retries (the provider never took the message), but
 * they are bounded so that a provider stuck in 429 still ends in a readable failure.
 */
export const MAX_THROTTLED_TRIES = 20;
