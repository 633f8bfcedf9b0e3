/** A shared ticking clock: reading `now` in a reactive context re-runs it every 250 ms. */
import { createSubscriber } from 'svelte/reactivity';

/** Tick interval in ms (250: countdowns in whole seconds stay within a quarter second). */
const TICK_MS = 250;

class Clock {
  #subscribe = createSubscriber((update) => {
    const timer = setInterval(update, TICK_MS);
    return () => clearInterval(timer);
  });

  /** Milliseconds since the epoch; ticks only while something reads it. */
  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

export const clock = new Clock();
