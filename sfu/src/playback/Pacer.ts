/**
 * One clock for every playback in the process: a single 10 ms interval sends whatever audio
 * fell due, instead of a timer per call (hundreds of queued callers would otherwise mean tens
 * of thousands of timer wake-ups a second). Browsers' jitter buffers absorb the tick's jitter.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.ts';

/** Interval of the shared tick, in milliseconds. */
export const PACER_TICK_MS = 10;

export interface Paced {
  /** Sends everything due at `now` (performance.now() milliseconds). */
  tick(now: number): void;
}

export class Pacer {
  readonly #paced = new Set<Paced>();
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(paced: Paced): void {
    this.#paced.add(paced);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#tick(), PACER_TICK_MS);
      this.#timer.unref();
    }
  }

  remove(paced: Paced): void {
    this.#paced.delete(paced);
    if (this.#paced.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    const now = performance.now();
    for (const paced of this.#paced) {
      try {
        paced.tick(now);
      } catch (error) {
        // One broken playback must not silence the others.
        this.#logger.warn({ err: error }, 'playback tick failed');
      }
    }
  }
}
