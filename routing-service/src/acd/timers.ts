/**
 * Durable timers: rows in PostgreSQL, so a restart neither loses nor doubles them. A timer
 * is taken with FOR UPDATE SKIP LOCKED and deleted in the same transaction that acts on it.
 */
import type { Kysely } from 'kysely';
import type { Database, Timer, TimerKind } from '@cc/migrations';
import type { Changes } from './changes.ts';
import type { Db, Trx } from './db.ts';

export async function scheduleTimer(
  db: Db,
  changes: Changes,
  timer: { organisationId: string; kind: TimerKind; subjectId: string; agentId: string | null; dueAt: Date },
): Promise<void> {
  await db
    .insertInto('timer')
    .values({
      organisation_id: timer.organisationId,
      kind: timer.kind,
      subject_id: timer.subjectId,
      agent_id: timer.agentId,
      due_at: timer.dueAt,
    })
    .execute();
  changes.timerScheduled(timer.dueAt);
}

/** Cancels a subject's timers of one kind (or of several), or only those of one agent. */
export async function cancelTimers(db: Db, subjectId: string, kind: TimerKind | TimerKind[], agentId?: string): Promise<void> {
  let query = db.deleteFrom('timer').where('subject_id', '=', subjectId);
  query = Array.isArray(kind) ? query.where('kind', 'in', kind) : query.where('kind', '=', kind);
  if (agentId) query = query.where('agent_id', '=', agentId);
  await query.execute();
}

/** Takes the next due timer, runs `handle` on it, and deletes it, all in one transaction. */
export async function fireNextDueTimer(
  db: Kysely<Database>,
  now: Date,
  handle: (trx: Trx, timer: Timer) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const timer = await trx
      .selectFrom('timer')
      .selectAll()
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!timer) return false;
    await handle(trx, timer);
    await trx.deleteFrom('timer').where('id', '=', timer.id).execute();
    return true;
  });
}

/** Wakes the engine when timers fall due: at the earliest known due time, and by polling. */
export class TimerLoop {
  #pollTimer: NodeJS.Timeout | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeAt: number | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(
    private readonly fire: () => Promise<void>,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.#pollTimer = setInterval(() => this.kick(), this.pollMs);
    this.kick();
  }

  /** Runs at `dueAt` (or now, if it is past). */
  wakeAt(dueAt: Date): void {
    if (this.#closed) return;
    const at = dueAt.getTime();
    if (this.#wakeAt !== null && this.#wakeAt <= at) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(
      () => {
        this.#wakeAt = null;
        this.kick();
      },
      Math.max(0, at - Date.now()) + 5,
    );
  }

  kick(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.fire()
      .catch(this.onError)
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Stops waking up and waits for a run in progress to finish. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#wakeTimer);
    await this.#running;
  }
}
