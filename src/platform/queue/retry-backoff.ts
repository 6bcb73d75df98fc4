import { SendError } from '../../shared/send-error';

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
