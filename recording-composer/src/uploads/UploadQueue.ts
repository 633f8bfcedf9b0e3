/**
 * The durable upload queue (SPEC §13): a finished recording file stays in the composer's spool
 * and a `recording_upload` row says where it goes, under which name. Uploaders claim due rows
 * (`SKIP LOCKED`, with a lease), store the file, then mark the row and the `recording` ready.
 *
 * - Never lost: the spooled file is removed only after the row says `done`; a failed attempt is
 *   retried with exponential back-off for as long as the storage is down.
 * - Taken over after a crash: a claim is a lease (`locked_until`), renewed while the upload
 *   runs; a composer killed mid-upload leaves a lease that expires, and the job runs again.
 * - Never under two names: the name is reserved in the row when the job is created (unique per
 *   organisation and storage) and every attempt stores that name; the stores replace, never add.
 */
import { EventEmitter } from 'node:events';
import { rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { ComposerStart, RecordedFile, RecordingMetadata, RecordingStorage } from '@cc/contracts';
import type { Database, RecordingUpload } from '@cc/migrations';
import type { Logger } from '../logger.ts';
import type { RecordingStore } from '../storage/RecordingStore.ts';

/** A finished file still in the spool, under the name it should get. */
export interface SpooledFile extends RecordedFile {
  spoolPath: string;
}

export interface UploadQueueOptions {
  db: Kysely<Database>;
  /** This composer's node: it uploads only what its own spool holds. */
  node: string;
  /** How long a claim lasts without renewal (a crashed uploader's jobs wait this long). */
  leaseMs: number;
  /** First retry delay; doubles per failed attempt up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often due jobs are looked for besides wake-ups (retries become due on their own). */
  pollMs: number;
  /** Uploads at a time. */
  concurrency: number;
  now: () => number;
  logger: Logger;
  openStore: (organisationId: string, storage: RecordingStorage) => Promise<RecordingStore>;
}

export interface UploadQueueEvents {
  /** A file is stored and its job done. */
  uploaded: [job: RecordingUpload];
  /** An attempt failed; the job runs again at `retryAt`. */
  retry: [job: RecordingUpload, error: unknown, retryAt: Date];
}

/** A name with `-n` before its extension: the n-th recording that wanted the same name. */
function numbered(fileName: string, n: number): string {
  if (n === 1) return fileName;
  const ext = path.extname(fileName);
  return `${fileName.slice(0, fileName.length - ext.length)}-${n}${ext}`;
}

export class UploadQueue extends EventEmitter<UploadQueueEvents> {
  readonly #o: UploadQueueOptions;
  readonly #running = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #pumping = false;
  #closed = false;

  constructor(options: UploadQueueOptions) {
    super();
    this.#o = options;
  }

  /**
   * Reserves each file's name and creates its upload job; files the session already enqueued
   * (a repeated stop) keep the name they got. Also files each `recording` row's name and
   * metadata. Returns the files under their reserved names.
   */
  async enqueue(request: ComposerStart, files: SpooledFile[]): Promise<RecordedFile[]> {
    const { db } = this.#o;
    const filed: RecordedFile[] = [];
    for (const { spoolPath, ...file } of files) {
      let fileName = await this.#reservedName(request.recordingId, file.leg);
      for (let n = 1; fileName === undefined; n++) {
        if (n > 99) throw new Error(`No free name for ${file.fileName}`);
        const candidate = numbered(file.fileName, n);
        const inserted = await db
          .insertInto('recording_upload')
          .values({
            organisation_id: request.organisationId,
            session_id: request.recordingId,
            leg: file.leg,
            storage: request.storage,
            file_name: candidate,
            node: this.#o.node,
            spool_path: spoolPath,
            metadata: this.#metadata(request, { ...file, fileName: candidate }),
            run_at: new Date(this.#o.now()),
          })
          // Either unique index: the name is taken (try the next) or the leg is already queued.
          .onConflict((oc) => oc.doNothing())
          .returning('file_name')
          .executeTakeFirst();
        fileName = inserted?.file_name ?? (await this.#reservedName(request.recordingId, file.leg));
      }
      const metadata = this.#metadata(request, { ...file, fileName });
      await db
        .updateTable('recording')
        .set({
          file_name: fileName,
          started_at: file.startedAt,
          ended_at: file.endedAt,
          duration_ms: file.durationMs,
          bytes: file.bytes,
          container: file.container,
          metadata,
        })
        .where('session_id', '=', request.recordingId)
        .where('leg', '=', file.leg)
        .execute();
      filed.push({ ...file, fileName });
    }
    this.wake();
    return filed;
  }

  async #reservedName(sessionId: string, leg: RecordedFile['leg']): Promise<string | undefined> {
    const row = await this.#o.db
      .selectFrom('recording_upload')
      .select('file_name')
      .where('session_id', '=', sessionId)
      .where('leg', '=', leg)
      .executeTakeFirst();
    return row?.file_name;
  }

  #metadata(request: ComposerStart, file: RecordedFile): RecordingMetadata {
    return {
      fileName: file.fileName,
      conversationId: request.conversationId,
      callId: request.callId,
      agentName: request.agentName,
      endUser: request.endUser,
      leg: file.leg,
      channelLayout: file.channelLayout,
      container: file.container,
      startedAt: file.startedAt,
      endedAt: file.endedAt,
      durationMs: file.durationMs,
    };
  }

  /** A file that could not be made (the composite): its `recording` row says so instead of "being processed". */
  async fail(request: ComposerStart, failure: { leg: RecordedFile['leg']; message: string }): Promise<void> {
    await this.#o.db
      .updateTable('recording')
      .set({ status: 'failed', error: failure.message })
      .where('session_id', '=', request.recordingId)
      .where('leg', '=', failure.leg)
      .where('status', '=', 'processing')
      .execute();
  }

  /** Starts uploading: jobs left by an earlier run of this node, and every job enqueued later. */
  start(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setInterval(() => this.wake(), this.#o.pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Looks for due jobs now. */
  wake(): void {
    if (this.#closed || !this.#timer) return;
    void this.#pump();
  }

  /** Stops claiming; waits for uploads in progress. Safe twice. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#running]);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed && this.#running.size < this.#o.concurrency) {
        const job = await this.#claim();
        if (!job) break;
        const run = this.#run(job).finally(() => {
          this.#running.delete(run);
          this.wake();
        });
        this.#running.add(run);
      }
    } catch (error) {
      this.#o.logger.error({ err: error }, 'claiming upload jobs failed');
    } finally {
      this.#pumping = false;
    }
  }

  async #claim(): Promise<RecordingUpload | undefined> {
    const now = new Date(this.#o.now());
    return this.#o.db
      .updateTable('recording_upload')
      .set({ locked_until: new Date(now.getTime() + this.#o.leaseMs), attempts: sql<number>`attempts + 1` })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('recording_upload')
          .select('id')
          .where('state', '=', 'pending')
          .where('node', '=', this.#o.node)
          .where('run_at', '<=', now)
          .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
          .orderBy('run_at')
          .limit(1)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .executeTakeFirst();
  }

  async #run(job: RecordingUpload): Promise<void> {
    const { db, logger } = this.#o;
    const log = logger.child({
      uploadId: job.id,
      recordingId: job.session_id,
      leg: job.leg,
      storage: job.storage,
      fileName: job.file_name,
    });
    const renew = setInterval(() => {
      void db
        .updateTable('recording_upload')
        .set({ locked_until: new Date(this.#o.now() + this.#o.leaseMs) })
        .where('id', '=', job.id)
        .where('state', '=', 'pending')
        .execute()
        .catch((error: unknown) => log.warn({ err: error }, 'renewing the upload lease failed'));
    }, this.#o.leaseMs / 3);
    renew.unref();
    try {
      if (!(await this.#spooled(job))) {
        await this.#lost(job);
        log.error('the spooled file is gone: the recording cannot be stored');
        return;
      }
      const store = await this.#o.openStore(job.organisation_id, job.storage);
      try {
        await store.put({ spoolPath: job.spool_path, fileName: job.file_name, metadata: job.metadata });
      } finally {
        await store.close();
      }
      await this.#done(job);
      await unlink(job.spool_path).catch(() => undefined);
      // The session's spool folder goes with its last file.
      await rmdir(path.dirname(job.spool_path)).catch(() => undefined);
      log.info({ attempts: job.attempts }, 'recording stored');
      this.emit('uploaded', job);
    } catch (error) {
      const delay = Math.min(this.#o.retryBaseMs * 2 ** Math.max(0, job.attempts - 1), this.#o.retryMaxMs);
      const retryAt = new Date(this.#o.now() + delay);
      log.warn({ err: error, attempts: job.attempts, retryInMs: delay }, 'upload failed; retrying later');
      await db
        .updateTable('recording_upload')
        .set({ run_at: retryAt, locked_until: null, last_error: error instanceof Error ? error.message : String(error) })
        .where('id', '=', job.id)
        .where('state', '=', 'pending')
        .execute()
        .catch((dbError: unknown) => log.error({ err: dbError }, 'recording the failed attempt failed; the lease will expire'));
      this.emit('retry', job, error, retryAt);
    } finally {
      clearInterval(renew);
    }
  }

  async #spooled(job: RecordingUpload): Promise<boolean> {
    try {
      await stat(job.spool_path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async #done(job: RecordingUpload): Promise<void> {
    await this.#o.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('recording_upload')
        .set({ state: 'done', done_at: new Date(this.#o.now()), locked_until: null, last_error: null })
        .where('id', '=', job.id)
        .execute();
      await trx
        .updateTable('recording')
        .set({ status: 'ready' })
        .where('session_id', '=', job.session_id)
        .where('leg', '=', job.leg)
        .where('status', '=', 'processing')
        .execute();
    });
  }

  async #lost(job: RecordingUpload): Promise<void> {
    await this.#o.db.transaction().execute(async (trx) => {
      await trx.updateTable('recording_upload').set({ state: 'lost', locked_until: null }).where('id', '=', job.id).execute();
      await trx
        .updateTable('recording')
        .set({ status: 'failed', error: 'The recording was lost before it could be stored' })
        .where('session_id', '=', job.session_id)
        .where('leg', '=', job.leg)
        .where('status', '=', 'processing')
        .execute();
    });
  }
}
