import { RateLimiterRes } from 'rate-limiter-flexible';
import { overLimitDelayMs } from './sender-gate';

const refused = (consumedPoints: number, msBeforeNext: number) =>
  new RateLimiterRes(0, msBeforeNext, consumedPoints);

describe('overLimitDelayMs', () => {
  it('sends the first ones over the limit to the next window', () => {
    expect(overLimitDelayMs(refused(6, 300), 5)).toBe(300);
    expect(overLimitDelayMs(refused(10, 300), 5)).toBe(300);
  });

  it('spreads later ones over the windows they fit in instead of all at the next one', () => {
    expect(overLimitDelayMs(refused(11, 300), 5)).toBe(1_300);
    expect(overLimitDelayMs(refused(16, 300), 5)).toBe(2_300);
    expect(overLimitDelayMs(refused(101, 40), 100)).toBe(40);
  });
});
