/**
 * Runs one task per key at a time; requests for a key while its task runs make exactly one
 * more run after it. The engine runs assignment passes this way (one per queue), and the
 * publisher reads snapshots this way: each is read when its run starts, so a client never
 * receives an older snapshot after a newer one, and a burst of changes costs one or two reads.
 */
export class Coalescer {
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();

  /** Resolves when a run that started after this request has finished. */
  run(key: string, task: () => Promise<void>): Promise<void> {
    const running = this.#running.get(key);
    if (running) {
      this.#again.add(key);
      return running;
    }
    const runs = (async () => {
      do {
        this.#again.delete(key);
        await task();
      } while (this.#again.has(key));
    })().finally(() => this.#running.delete(key));
    this.#running.set(key, runs);
    return runs;
  }
}
