import { overLimitDelayMs } from './sender-gate';

describe('overLimitDelayMs', () => {
  it('sends the first one over the limit to the start of the next window', () => {
    expect(overLimitDelayMs(6, 300, 5)).toBe(300);
  });

  it('spaces the next ones one slot (1/rate s) apart, in the order they were refused', () => {
    expect([7, 8, 9, 10].map((consumed) => overLimitDelayMs(consumed, 300, 5))).toEqual([
      500, 700, 900, 1_100,
    ]);
  });

  it('sends those beyond a window’s worth to the windows after', () => {
    expect(overLimitDelayMs(11, 300, 5)).toBe(1_300);
    expect(overLimitDelayMs(201, 40, 100)).toBe(1_040);
  });
});
