import { loadConfig } from '../config/app-config';
import { stallSettings, takeoverWithinMs } from './stall-settings';

describe('stall settings', () => {
  it('takes over the job of a worker killed mid-send within 30 s with the default settings', () => {
    const { lockDurationMs } = loadConfig({}).outbound;
    expect(lockDurationMs).toBe(15_000);
    expect(stallSettings(lockDurationMs)).toEqual({
      lockDuration: 15_000,
      stalledInterval: 7_500,
      maxStalledCount: 1,
    });
    expect(takeoverWithinMs(lockDurationMs)).toBe(22_500);
  });

  it('follows OUTBOUND_LOCK_DURATION_MS', () => {
    const { lockDurationMs } = loadConfig({ OUTBOUND_LOCK_DURATION_MS: '2000' }).outbound;
    expect(takeoverWithinMs(lockDurationMs)).toBe(3_000);
  });
});
