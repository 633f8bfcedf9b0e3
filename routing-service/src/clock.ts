/** Time is injected so the ACD engine, timers and the live view's midnight can be tested deterministically. */
export interface Clock {
  now(): Date;
  /** Calls `ring` once, when the clock reads `at` or later; the returned function cancels it (safe to call twice). */
  alarm(at: Date, ring: () => void): () => void;
}

/**
 * Longest single `setTimeout` behind an alarm. A timeout counts monotonic time while an alarm
 * is for a wall-clock instant: after an NTP step or a suspended machine the two differ, so a
 * long wait is taken in hops, each re-checked against the wall clock. (It also stays far below
 * the 2^31 ms a Node.js timeout can hold.)
 */
const ALARM_HOP_MS = 60_000;

export const systemClock: Clock = {
  now: () => new Date(),
  alarm(at, ring) {
    let timeout: ReturnType<typeof setTimeout> | undefined;
    // Always through a timeout, even when `at` has passed: a caller never sees `ring` run before `alarm` returns.
    const hop = () => {
      timeout = setTimeout(check, Math.max(0, Math.min(at.getTime() - Date.now(), ALARM_HOP_MS)));
    };
    const check = () => {
      // A timeout may fire a millisecond early: ring only once the wall clock has got there.
      if (Date.now() < at.getTime()) hop();
      else {
        timeout = undefined;
        ring();
      }
    };
    hop();
    return () => {
      clearTimeout(timeout);
      timeout = undefined;
    };
  },
};
