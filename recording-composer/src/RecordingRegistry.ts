/**
 * The composer's recordings by id. Starting is idempotent (a retried request gets the same
 * ports); a stopped recording's result is kept a while so a retried stop gets the same files.
 */
import type { ComposerResult, ComposerStart } from '@cc/contracts';
import type { Logger } from './logger.ts';
import { Recording } from './Recording.ts';

/** How long a finished recording's result answers a repeated stop. */
const RESULT_TTL_MS = 10 * 60_000;

export interface RecordingRegistryOptions {
  ip: string;
  dir: string;
  jitterMs: number;
  now: () => number;
  logger: Logger;
}

export class RecordingRegistry {
  readonly #options: RecordingRegistryOptions;
  readonly #running = new Map<string, Promise<Recording>>();
  readonly #finished = new Map<string, Promise<ComposerResult>>();

  constructor(options: RecordingRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#running.size;
  }

  async start(request: ComposerStart): Promise<{ recording: Recording; created: boolean }> {
    const existing = this.#running.get(request.recordingId);
    if (existing) return { recording: await existing, created: false };
    const starting = Recording.start({ ...this.#options, request });
    this.#running.set(request.recordingId, starting);
    starting.catch(() => this.#running.delete(request.recordingId));
    return { recording: await starting, created: true };
  }

  /** Stops and composes; null when the recording is unknown. */
  async stop(recordingId: string): Promise<ComposerResult | null> {
    const finished = this.#finished.get(recordingId);
    if (finished) return finished;
    const running = this.#running.get(recordingId);
    if (!running) return null;
    const result = (await running).stop();
    this.#finished.set(recordingId, result);
    this.#running.delete(recordingId);
    setTimeout(() => this.#finished.delete(recordingId), RESULT_TTL_MS).unref();
    return result;
  }

  /** Finishes every running recording (shutdown): files already received are kept. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.#running.keys()].map((id) => this.stop(id)));
  }
}
