/**
 * Pushes a fresh live view to an organisation's supervisors (SPEC §14): after its calls or
 * agents change, and after a supervisor reconfigures it. At most one push per `intervalMs` per
 * organisation: bursts (an assignment round touches many rows) collapse into one trailing push
 * that reads the state after the last change.
 *
 * Instances share a cluster adapter: `ns.to(room)` reaches an organisation's supervisors on
 * every instance, `ns.local.to(room)` only this instance's.
 */
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import type { Clock } from '../clock.ts';
import { liveView } from '../live/live-view.ts';
import type { Logger } from '../logger.ts';
import { organisationRoom } from './supervisor.ts';
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

const wider = (a: Reach, b: Reach): Reach => ({
  unwatchedHere: a.unwatchedHere || b.unwatchedHere,
  everyInstance: a.everyInstance || b.everyInstance,
});

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
  #closed = false;

  constructor(deps: LivePushesDeps) {
    this.#deps = deps;
    this.#intervalMs = deps.intervalMs ?? 250;
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

  /** Stops pushing; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { timer } of this.#scheduled.values()) clearTimeout(timer);
    this.#scheduled.clear();
    this.#changedWhileReading.clear();
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
}
