/**
 * Pushes a fresh live view to an organisation's supervisors (SPEC §14): after its calls or
 * agents change, after a supervisor reconfigures it, and at its local midnight, when "today"
 * starts over. At most one push per `intervalMs` per organisation: bursts (an assignment round
 * touches many rows) collapse into one trailing push that reads the state after the last change.
 *
 * Instances share a cluster adapter: `ns.to(room)` reaches an organisation's supervisors on
 * every instance, `ns.local.to(room)` only this instance's.
 */
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import type { Clock } from '../clock.ts';
import { liveView, nextMidnight } from '../live/live-view.ts';
import type { Logger } from '../logger.ts';
import { organisationOfRoom, organisationRoom } from './supervisor.ts';
import type { SupervisorNamespace } from './types.ts';

export interface LivePushesDeps {
  db: Kysely<Database>;
  ns: SupervisorNamespace;
  clock: Clock;
  logger: Logger;
  /** Least time between two pushes to one organisation, in ms; default 250. */
  intervalMs?: number;
}

/** Whom a push is for. */
interface Reach {
  /** Read the view even when no supervisor of the organisation is connected here: one may be on another instance. */
  unwatchedHere: boolean;
  /** Emit through the adapter to the organisation's supervisors on every instance, not only this one's. */
  everyInstance: boolean;
}

/**
 * After an engine change: the supervisors here and, through the adapter, elsewhere. Engine
 * changes are frequent, so the view is read only when someone here watches.
 */
const AFTER_ENGINE_CHANGE: Reach = { unwatchedHere: false, everyInstance: true };
/**
 * After a console change: it came to this instance over HTTP, while the organisation's
 * supervisors may watch on any instance. Console changes come at human pace, so reading a view
 * that nobody may watch costs little.
 */
const AFTER_RECONFIGURATION: Reach = { unwatchedHere: true, everyInstance: true };
/**
 * At midnight: every instance with supervisors of the organisation rings its own alarm, so each
 * pushes to its own supervisors only (else each would get one view per instance).
 */
const AT_MIDNIGHT: Reach = { unwatchedHere: false, everyInstance: false };

const wider = (a: Reach, b: Reach): Reach => ({
  unwatchedHere: a.unwatchedHere || b.unwatchedHere,
  everyInstance: a.everyInstance || b.everyInstance,
});

/** How long to wait before asking again for an organisation's next midnight after the query failed, in ms. */
const MIDNIGHT_RETRY_MS = 60_000;

/** The midnight alarm of one organisation watched here; `cancel` is null until it is set. */
interface Midnight {
  cancel: (() => void) | null;
}

export class LivePushes {
  readonly #deps: LivePushesDeps;
  readonly #intervalMs: number;
  /** Pushes scheduled, by organisation, with whom they are for. */
  readonly #scheduled = new Map<string, { timer: ReturnType<typeof setTimeout>; reach: Reach }>();
  /** Organisations whose view is being read, and those that changed meanwhile (with whom the next push is for). */
  readonly #reading = new Set<string>();
  readonly #changedWhileReading = new Map<string, Reach>();
  /** When each organisation's last push started (wall clock, ms). */
  readonly #lastStarted = new Map<string, number>();
  /** Organisations watched by a supervisor on this instance, each with its midnight alarm. */
  readonly #midnights = new Map<string, Midnight>();
  readonly #roomCreated = (room: string) => {
    const organisationId = organisationOfRoom(room);
    if (organisationId) this.#watch(organisationId);
  };
  readonly #roomDeleted = (room: string) => {
    const organisationId = organisationOfRoom(room);
    if (organisationId) this.#unwatch(organisationId);
  };
  #closed = false;

  constructor(deps: LivePushesDeps) {
    this.#deps = deps;
    this.#intervalMs = deps.intervalMs ?? 250;
    // The organisation's room is the one record of who watches here: the adapter creates it when
    // the first supervisor joins and deletes it when the last one has left (or disconnected).
    const adapter = deps.ns.adapter;
    adapter.on('create-room', this.#roomCreated);
    adapter.on('delete-room', this.#roomDeleted);
    for (const room of adapter.rooms.keys()) this.#roomCreated(room);
  }

  /** Whether anyone on this instance watches a live view (else engine changes need not be looked at). */
  get watched(): boolean {
    return this.#deps.ns.sockets.size > 0;
  }

  /** The organisation's calls or agents changed: its supervisors get a fresh view soon. */
  changed(organisationId: string): void {
    this.#request(organisationId, AFTER_ENGINE_CHANGE);
  }

  /** A supervisor changed the organisation's configuration: its supervisors, on every instance, get a fresh view soon. */
  reconfigured(organisationId: string): void {
    this.#request(organisationId, AFTER_RECONFIGURATION);
  }

  /** Stops pushing and cancels every midnight alarm; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deps.ns.adapter.off('create-room', this.#roomCreated);
    this.#deps.ns.adapter.off('delete-room', this.#roomDeleted);
    for (const { timer } of this.#scheduled.values()) clearTimeout(timer);
    this.#scheduled.clear();
    this.#changedWhileReading.clear();
    for (const midnight of this.#midnights.values()) midnight.cancel?.();
    this.#midnights.clear();
  }

  #request(organisationId: string, reach: Reach): void {
    if (this.#closed) return;
    if (this.#reading.has(organisationId)) {
      // The view being read may predate this change: push once more after it.
      const pending = this.#changedWhileReading.get(organisationId);
      this.#changedWhileReading.set(organisationId, pending ? wider(pending, reach) : reach);
      return;
    }
    const scheduled = this.#scheduled.get(organisationId);
    if (scheduled) {
      scheduled.reach = wider(scheduled.reach, reach);
      return;
    }
    const last = this.#lastStarted.get(organisationId);
    const wait = last === undefined ? 0 : Math.max(0, last + this.#intervalMs - Date.now());
    this.#scheduled.set(organisationId, { reach, timer: setTimeout(() => void this.#push(organisationId), wait) });
  }

  async #push(organisationId: string): Promise<void> {
    const scheduled = this.#scheduled.get(organisationId);
    this.#scheduled.delete(organisationId);
    if (!scheduled) return;
    const { reach } = scheduled;
    this.#lastStarted.set(organisationId, Date.now());
    const { db, ns, clock, logger } = this.#deps;
    const room = organisationRoom(organisationId);
    if (!reach.unwatchedHere && !ns.adapter.rooms.get(room)?.size) return;
    this.#reading.add(organisationId);
    try {
      const view = await liveView(db, organisationId, clock.now());
      if (!this.#closed) (reach.everyInstance ? ns.to(room) : ns.local.to(room)).emit('live:view', view);
    } catch (error) {
      if (!this.#closed) logger.error({ err: error, organisationId }, 'live view push failed');
    } finally {
      this.#reading.delete(organisationId);
      const again = this.#changedWhileReading.get(organisationId);
      if (again) {
        this.#changedWhileReading.delete(organisationId);
        this.#request(organisationId, again);
      }
    }
  }

  /** A supervisor of the organisation is here now: push at each of its midnights while one stays. */
  #watch(organisationId: string): void {
    if (this.#closed || this.#midnights.has(organisationId)) return;
    const midnight: Midnight = { cancel: null };
    this.#midnights.set(organisationId, midnight);
    void this.#armMidnight(organisationId, midnight);
  }

  /** The organisation's last supervisor here has gone: nothing to push at midnight. */
  #unwatch(organisationId: string): void {
    this.#midnights.get(organisationId)?.cancel?.();
    this.#midnights.delete(organisationId);
  }

  /**
   * Sets the alarm for the organisation's next local midnight (read from its time zone each
   * time, so a changed zone or a daylight-saving day is taken into account), and again after
   * it rings.
   */
  async #armMidnight(organisationId: string, midnight: Midnight): Promise<void> {
    const { db, clock, logger } = this.#deps;
    let at: Date | null;
    let failed = false;
    try {
      at = await nextMidnight(db, organisationId, clock.now());
    } catch (error) {
      logger.warn({ err: error, organisationId }, 'reading the next midnight failed; trying again in a minute');
      at = new Date(clock.now().getTime() + MIDNIGHT_RETRY_MS);
      failed = true;
    }
    // Unwatched (or closed, or watched anew) while the query ran: this alarm is no longer wanted.
    if (this.#midnights.get(organisationId) !== midnight || !at) return;
    midnight.cancel = clock.alarm(at, () => {
      if (!failed) this.#request(organisationId, AT_MIDNIGHT);
      void this.#armMidnight(organisationId, midnight);
    });
  }
}
