/**
 * How BullMQ hands the job of a dead worker to another. A worker holds a lock on each active job
 * and renews it every lockDuration / 2. The stalled check (one run per stalledInterval across all
 * workers) marks every active job, and on its next run moves back to wait those still marked
 * whose lock has expired. A worker killed mid-send therefore has its job taken over at most
 * lockDuration + stalledInterval after it died. A job that stalls more than maxStalledCount times
 * (a message that crashes every worker it reaches) is failed instead of crashing the next one.
 */
export interface StallSettings {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
}

export function stallSettings(lockDurationMs: number): StallSettings {
  return {
    lockDuration: lockDurationMs,
    stalledInterval: Math.ceil(lockDurationMs / 2),
    maxStalledCount: 1,
  };
}

/** The longest a dead worker's job waits before another worker may take it. */
export function takeoverWithinMs(lockDurationMs: number): number {
  const { lockDuration, stalledInterval } = stallSettings(lockDurationMs);
  return lockDuration + stalledInterval;
}
