/** Each retry waits its configured delay times a random factor in [1 - JITTER, 1 + JITTER]. */
export const RETRY_JITTER = 0.2;

export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * The wait before the next try after `attemptsInRound` failed tries, or null when they are spent
 * (one try, then one per configured delay). Jitter keeps endpoints that failed together from being
 * retried together; a Retry-After is a floor, capped at a day so a bogus value cannot park a
 * delivery for years.
 */
export function nextRetryDelayMs(
  delays: number[],
  attemptsInRound: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | null {
  if (attemptsInRound > delays.length) return null;
  const base = delays[attemptsInRound - 1];
  const jittered = Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
  const floor = Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.max(jittered, floor);
}
