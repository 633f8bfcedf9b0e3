/**
 * The composer's recordings by id. Starting is idempotent (a retried request gets the same
 * ports). Stopping produces the spooled files once and hands them to the upload queue, which
 * is idempotent by session and leg: a retried stop gets the same files under the same names,
 * and one whose enqueueing failed (the database was away) enqueues again.
 *
 * Each recording's manifest in the spool lets a composer restarted after a crash (`resume`)
 * take up the recordings that were in progress and answer a repeated stop of those that were
 * finished, with the same files. A composite whose ffmpeg the crash cut is made again from the
 * leg files its manifest names (still in the spool until it is filed), or marked failed.
 */
import { access, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ComposerResult, ComposerStart, RecordedFile } from '@cc/contracts';
import type { Logger } from './logger.ts';
import { makeComposite, type CompositeJob } from './composite.ts';
import { recordingTags } from './file-names.ts';
import { Recording, type SpooledResult } from './Recording.ts';
import { readManifest, readManifests, removeManifest, writeManifest, type RecordingManifest } from './RecordingManifest.ts';
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
      if (manifest.stopped?.composite) {
        // Killed while the composite was being made (or before it was filed): make it again.
        this.#fileComposite(manifest.request, Promise.resolve(this.#remakeComposite(manifest, manifest.stopped.composite)));
      }
      if (manifest.stopped) {
        const left = manifest.stopped.atMs + RESULT_TTL_MS - now();
        if (left <= 0) {
          if (!manifest.stopped.composite) await removeManifest(dir, recordingId);
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
      // A composite still being made keeps the manifest (#compositeFiled removes it then).
      void readManifest(this.#options.dir, recordingId)
        .then((manifest) => (manifest?.stopped?.composite ? undefined : removeManifest(this.#options.dir, recordingId)))
        .catch((error: unknown) => this.#options.logger.warn({ err: error, recordingId }, 'removing a recording manifest failed'));
    }, ttlMs).unref();
  }

  /** Finishes every running recording (shutdown): files already received are kept and queued. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.#running.keys()].map((id) => this.stop(id)));
    await Promise.allSettled([...this.#composing]);
  }

  /** A stopped recording's composite made again after a restart, from the inputs its manifest names, if they are all still there. */
  #remakeComposite(manifest: RecordingManifest, job: CompositeJob): SpooledResult {
    const { dir, logger } = this.#options;
    const { recordingId } = manifest.request;
    const result = manifest.stopped?.result ?? { recordingId, files: [], failures: [] };
    const composite = (async () => {
      const there = await Promise.all(
        job.legs.map((leg) =>
          access(leg.path).then(
            () => true,
            () => false,
          ),
        ),
      );
      if (there.includes(false)) {
        logger.error({ recordingId }, 'the composite cannot be made again: its leg files left the spool');
        return {
          leg: 'composite' as const,
          code: 'composite_failed',
          message: 'The side-by-side video was being made when the composer stopped, and its leg files are gone',
        };
      }
      logger.info({ recordingId }, 'making the composite again after a restart');
      return makeComposite(path.join(dir, '.spool', recordingId), job, recordingTags(manifest.request, 'composite'), {
        timeoutMs: 30 * 60_000,
        logger: logger.child({ recordingId }),
      });
    })();
    return { ...result, composite, compositeJob: job };
  }

  /**
   * Queues the composite once it is encoded, or marks it failed (once per recording: the stop
   * that created the result, or the restart that made it again); then its manifest forgets it
   * and its inputs leave the spool.
   */
  #fileComposite(request: ComposerStart, spooled: Promise<SpooledResult>): void {
    const work = (async () => {
      const { composite, compositeJob } = await spooled;
      const made = await composite;
      if (!made) return;
      if ('code' in made) await this.#options.fail(request, made);
      else await this.#options.enqueue(request, [made]);
      if (compositeJob) await this.#compositeFiled(request.recordingId, compositeJob);
    })()
      .catch((error: unknown) =>
        this.#options.logger.error({ err: error, recordingId: request.recordingId }, 'filing the composite failed'),
      )
      .finally(() => this.#composing.delete(work));
    this.#composing.add(work);
  }

  async #compositeFiled(recordingId: string, job: CompositeJob): Promise<void> {
    const { dir } = this.#options;
    const manifest = await readManifest(dir, recordingId);
    if (manifest?.stopped && manifest.stopped.atMs + RESULT_TTL_MS <= this.#options.now()) await removeManifest(dir, recordingId);
    else if (manifest?.stopped?.composite)
      await writeManifest(dir, { ...manifest, stopped: { ...manifest.stopped, composite: undefined } });
    await Promise.all(job.legs.map((leg) => unlink(leg.path).catch(() => undefined)));
    // The upload queue removes the folder with its last file; one the inputs kept goes now.
    await rmdir(path.join(dir, '.spool', recordingId)).catch(() => undefined);
  }
}
