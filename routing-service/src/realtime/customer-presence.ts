/**
 * Which calls have their customer connected to this routing-service instance, and the loop
 * that says so to the database: every third of the reconnect grace it pushes those calls'
 * graces forward in one statement. When the instance dies the pushing stops, so the graces of
 * its customers fall due and another instance ends the calls of those who never come back.
 */
export class CustomerPresence {
  /** Connected sockets per call: a customer may briefly have two (an old one not yet timed out). */
  readonly #sockets = new Map<string, number>();
  readonly #renew: (callIds: readonly string[]) => Promise<void>;
  readonly #everyMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;

  /** `graceSeconds`: the reconnect grace; renewals run three times within it. */
  constructor(renew: (callIds: readonly string[]) => Promise<void>, graceSeconds: number, onError: (error: unknown) => void) {
    this.#renew = renew;
    this.#everyMs = Math.max(250, (graceSeconds * 1000) / 3);
    this.#onError = onError;
  }

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.#everyMs);
  }

  add(callId: string): void {
    this.#sockets.set(callId, (this.#sockets.get(callId) ?? 0) + 1);
  }

  remove(callId: string): void {
    const count = (this.#sockets.get(callId) ?? 0) - 1;
    if (count > 0) this.#sockets.set(callId, count);
    else this.#sockets.delete(callId);
  }

  /** Stops renewing (a shutting-down instance's customers come back elsewhere) and waits for a run in progress. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  #tick(): void {
    // A slow database must not pile renewals up: skip a beat while one is still running.
    if (this.#running || this.#sockets.size === 0) return;
    this.#running = this.#renew([...this.#sockets.keys()])
      .catch(this.#onError)
      .finally(() => {
        this.#running = null;
      });
  }
}
