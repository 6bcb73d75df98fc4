import { retryDelayMs } from './retry-backoff';

describe('retryDelayMs', () => {
  const delays = [10_000, 30_000, 60_000];

  it.each([
    [1, 10_000],
    [2, 30_000],
    [3, 60_000],
    [4, 60_000],
  ])('retry %i waits %i ms', (retry, expected) => {
    expect(retryDelayMs(delays, retry)).toBe(expected);
  });

  it('never retries sooner than Retry-After', () => {
    expect(retryDelayMs(delays, 1, 45_000)).toBe(45_000);
    expect(retryDelayMs(delays, 3, 5_000)).toBe(60_000);
  });

  it('retries at once when no delays are configured', () => {
    expect(retryDelayMs([], 1)).toBe(0);
  });
});
