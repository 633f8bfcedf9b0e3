/**
 * A clock that stands still until a test moves it, so time-driven behaviour (the live view's
 * midnight) is tested at an exact instant without waiting for it.
 */
import type { Clock } from '../clock.ts';

interface Alarm {
  at: number;
  ring: () => void;
}

export class TestClock implements Clock {
  #now: number;
  readonly #alarms = new Set<Alarm>();
  /** Tests waiting for the set of alarms to look a certain way. */
  readonly #watchers = new Set<() => void>();

  constructor(start: Date) {
    this.#now = start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  alarm(at: Date, ring: () => void): () => void {
    const alarm = { at: at.getTime(), ring };
    this.#alarms.add(alarm);
    // Like the system clock, an alarm already due rings soon after, never inside this call.
    if (alarm.at <= this.#now) queueMicrotask(() => this.#ringDue());
    this.#changed();
    return () => {
      if (this.#alarms.delete(alarm)) this.#changed();
    };
  }

  /** The instants of the alarms not yet rung, earliest first. */
  get alarms(): Date[] {
    return [...this.#alarms]
      .map((a) => a.at)
      .sort((a, b) => a - b)
      .map((at) => new Date(at));
  }

  /** Moves the clock to `instant` and rings, earliest first, every alarm due by then. */
  set(instant: Date): void {
    this.#now = instant.getTime();
    this.#ringDue();
  }

  /** Resolves once `predicate` holds for the alarms not yet rung (checked now and on every change). */
  waitForAlarms(predicate: (alarms: Date[]) => boolean, timeoutMs = 10_000): Promise<Date[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const alarms = this.alarms;
        if (!predicate(alarms)) return;
        this.#watchers.delete(check);
        clearTimeout(timer);
        resolve(alarms);
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(new Error(`alarms not as expected within ${timeoutMs} ms: ${JSON.stringify(this.alarms)}`));
      }, timeoutMs);
      this.#watchers.add(check);
      check();
    });
  }

  #ringDue(): void {
    for (;;) {
      const due = [...this.#alarms].filter((a) => a.at <= this.#now).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.#alarms.delete(due);
      this.#changed();
      due.ring();
    }
  }

  #changed(): void {
    for (const check of [...this.#watchers]) check();
  }
}
