/** A sweep run at start and then every `intervalMs` on this instance; a failed run is logged and the next one retries. */
import type { Logger } from './logger.ts';

export class PeriodicJob {
  readonly #name: string;
  readonly #run: () => Promise<unknown>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(name: string, run: () => Promise<unknown>, logger: Logger, intervalMs: number) {
    this.#name = name;
    this.#run = run;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    const run = () => {
      // One run at a time on this instance: a slow run delays the next instead of overlapping it.
      this.#running = this.#running.then(() =>
        this.#run().catch((error: unknown) =>
          this.#logger.error({ err: error, job: this.#name }, `${this.#name} failed; the next run retries`),
        ),
      );
    };
    run();
    this.#timer = setInterval(run, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress. Safe twice. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
