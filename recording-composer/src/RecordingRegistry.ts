/**
 * The composer's recordings by id. Starting is idempotent (a retried request gets the same
 * ports). Stopping produces the spooled files once and hands them to the upload queue, which
 * is idempotent by session and leg: a retried stop gets the same files under the same names,
 * and one whose enqueueing failed (the database was away) enqueues again.
 *
 * Each recording's manifest in the spool lets a composer restarted after a crash (`resume`)
 * take up the recordings that were in progress and answer a repeated stop of those that were
 * finished, with the same files.
 */
import type { ComposerResult, ComposerStart, RecordedFile } from '@cc/contracts';
import type { Logger } from './logger.ts';
import { Recording, type SpooledResult } from './Recording.ts';
import { readManifests, removeManifest } from './RecordingManifest.ts';
import type { SpooledFile } from './uploads/UploadQueue.ts';

/** How long a finished recording's result answers a repeated stop. */
const RESULT_TTL_MS = 10 * 60_000;

export interface RecordingRegistryOptions {
  ip: string;
  dir: string;
  jitterMs: number;
  now: () => number;
  logger: Logger;
  /** Files a stopped recording's spooled files for upload; returns them under their reserved names. */
  enqueue: (request: ComposerStart, files: SpooledFile[]) => Promise<RecordedFile[]>;
  /** Marks a file that could not be made after the stop answered (the composite) as failed. */
  fail: (request: ComposerStart, failure: ComposerResult['failures'][number]) => Promise<void>;
}

export class RecordingRegistry {
  readonly #options: RecordingRegistryOptions;
  readonly #running = new Map<string, Promise<Recording>>();
  readonly #finished = new Map<string, { request: ComposerStart; spooled: Promise<SpooledResult> }>();
  /** Composites being encoded after their stop answered (shutdown waits for them). */
  readonly #composing = new Set<Promise<void>>();

  constructor(options: RecordingRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#running.size;
  }

  /**
   * Takes up what an earlier run of this composer left in the spool (call once, before the
   * control API answers): recordings in progress listen again on their ports; stopped ones
   * answer a repeated stop until their result expires.
   */
  async resume(): Promise<{ resumed: number; finished: number }> {
    const { dir, logger, now } = this.#options;
    let resumed = 0;
    let finished = 0;
    for (const manifest of await readManifests(dir, logger)) {
      const { recordingId } = manifest.request;
      if (manifest.stopped) {
        const left = manifest.stopped.atMs + RESULT_TTL_MS - now();
        if (left <= 0) {
          await removeManifest(dir, recordingId);
          continue;
        }
        this.#remember(recordingId, { request: manifest.request, spooled: Promise.resolve(manifest.stopped.result) }, left);
        // Killed between finishing the files and queueing them: queue them now, whether or not
        // the stop is repeated (queueing again finds the same jobs).
        void this.#options
          .enqueue(manifest.request, manifest.stopped.result.files)
          .catch((error: unknown) => logger.error({ err: error, recordingId }, 'queueing the uploads of a stopped recording failed'));
        finished++;
        continue;
      }
      try {
        const recording = await Recording.resume(this.#options, manifest);
        this.#running.set(recordingId, Promise.resolve(recording));
        resumed++;
      } catch (error) {
        logger.error({ err: error, recordingId }, 'a recording in progress could not be resumed');
      }
    }
    if (resumed + finished > 0) logger.info({ resumed, finished }, 'recordings taken up after a restart');
    return { resumed, finished };
  }

  async start(request: ComposerStart): Promise<{ recording: Recording; created: boolean }> {
    const existing = this.#running.get(request.recordingId);
    if (existing) return { recording: await existing, created: false };
    const starting = Recording.start({ ...this.#options, request });
    this.#running.set(request.recordingId, starting);
    starting.catch(() => this.#running.delete(request.recordingId));
    return { recording: await starting, created: true };
  }

  /** Stops, composes and queues the uploads; null when the recording is unknown. */
  async stop(recordingId: string): Promise<ComposerResult | null> {
    let finished = this.#finished.get(recordingId);
    if (!finished) {
      const running = this.#running.get(recordingId);
      if (!running) return null;
      const recording = await running;
      finished = { request: recording.request, spooled: recording.stop() };
      this.#remember(recordingId, finished, RESULT_TTL_MS);
      this.#fileComposite(finished.request, finished.spooled);
      this.#running.delete(recordingId);
    }
    const spooled = await finished.spooled;
    const files = await this.#options.enqueue(finished.request, spooled.files);
    return { recordingId, files, failures: spooled.failures };
  }

  /** Keeps a stopped recording's result (in memory, and its manifest on disk) for `ttlMs`. */
  #remember(recordingId: string, finished: { request: ComposerStart; spooled: Promise<SpooledResult> }, ttlMs: number): void {
    this.#finished.set(recordingId, finished);
    setTimeout(() => {
      this.#finished.delete(recordingId);
      void removeManifest(this.#options.dir, recordingId).catch((error: unknown) =>
        this.#options.logger.warn({ err: error, recordingId }, 'removing a recording manifest failed'),
      );
    }, ttlMs).unref();
  }

  /** Finishes every running recording (shutdown): files already received are kept and queued. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.#running.keys()].map((id) => this.stop(id)));
    await Promise.allSettled([...this.#composing]);
  }

  /** Queues the composite once it is encoded (once per recording: the stop that created the result). */
  #fileComposite(request: ComposerStart, spooled: Promise<SpooledResult>): void {
    const work = (async () => {
      const composite = await (await spooled).composite;
      if (!composite) return;
      if ('code' in composite) await this.#options.fail(request, composite);
      else await this.#options.enqueue(request, [composite]);
    })()
      .catch((error: unknown) =>
        this.#options.logger.error({ err: error, recordingId: request.recordingId }, 'filing the composite failed'),
      )
      .finally(() => this.#composing.delete(work));
    this.#composing.add(work);
  }
}
