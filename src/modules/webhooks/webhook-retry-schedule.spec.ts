import { MAX_RETRY_AFTER_MS, nextRetryDelayMs, RETRY_JITTER } from './webhook-retry-schedule';

const SVIX = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

describe('nextRetryDelayMs', () => {
  it('waits each configured delay within ±20 % jitter', () => {
    SVIX.forEach((delay, index) => {
      const lowest = nextRetryDelayMs(SVIX, index + 1, undefined, () => 0);
      const highest = nextRetryDelayMs(SVIX, index + 1, undefined, () => 0.999999);
      expect(lowest).toBe(Math.round(delay * (1 - RETRY_JITTER)));
      expect(highest).toBeLessThanOrEqual(Math.round(delay * (1 + RETRY_JITTER)));
      expect(highest).toBeGreaterThan(Math.round(delay * 1.19));
    });
  });

  it('stays inside the bounds over many random draws', () => {
    for (let i = 0; i < 10_000; i++) {
      const delay = nextRetryDelayMs(SVIX, 1)!;
      expect(delay).toBeGreaterThanOrEqual(4_000);
      expect(delay).toBeLessThanOrEqual(6_000);
    }
  });

  it('gives up after one try plus one per configured delay (8 tries by default)', () => {
    expect(nextRetryDelayMs(SVIX, 7)).not.toBeNull();
    expect(nextRetryDelayMs(SVIX, 8)).toBeNull();
    expect(nextRetryDelayMs([], 1)).toBeNull();
  });

  it('never retries before a Retry-After, capped at a day', () => {
    expect(nextRetryDelayMs(SVIX, 1, 60_000, () => 0.5)).toBe(60_000);
    expect(nextRetryDelayMs(SVIX, 1, 1_000, () => 0.5)).toBe(5_000);
    expect(nextRetryDelayMs([1_000, 2_000], 1, 10 ** 12, () => 0.5)).toBe(MAX_RETRY_AFTER_MS);
  });
});
