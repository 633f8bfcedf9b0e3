/**
 * Runs one task per key at a time; requests for a key while its task runs make exactly one
 * more run after it. The engine runs assignment passes this way (one per queue), and the
 * publisher reads snapshots this way: each is read when its run starts, so a client never
 * receives an older snapshot after a newer one, and a burst of changes costs one or two reads.
 */
export class Coalescer {
  /** The run in progress, by key. */
  readonly #running = new Map<string, Promise<void>>();
  /** The run asked for while one was in progress, by key: it starts when that one ends. */
  readonly #next = new Map<string, Promise<void>>();

  /**
   * Resolves when a run that started after this request has finished: at most the run in
   * progress plus one more, however many requests keep arriving meanwhile.
   */
  run(key: string, task: () => Promise<void>): Promise<void> {
    // The queued run first: between the end of one run and the start of the next, the key
    // has no run in progress but must not get a second one.
    const queued = this.#next.get(key);
    if (queued) return queued;
    const running = this.#running.get(key);
    if (!running) return this.#start(key, task);
    const next = running
      .catch(() => undefined)
      .then(() => {
        this.#next.delete(key);
        return this.#start(key, task);
      });
    this.#next.set(key, next);
    return next;
  }

  #start(key: string, task: () => Promise<void>): Promise<void> {
    const run = task().finally(() => {
      if (this.#running.get(key) === run) this.#running.delete(key);
    });
    this.#running.set(key, run);
    return run;
  }
}
