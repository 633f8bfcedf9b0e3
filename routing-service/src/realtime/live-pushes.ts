/**
 * Pushes a fresh live view to an organisation's supervisors after its calls or agents change,
 * at most once per `intervalMs` per organisation. Bursts (an assignment round touches many
 * rows) collapse into one trailing push that reads the state after the last change.
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

export class LivePushes {
  readonly #deps: LivePushesDeps;
  readonly #intervalMs: number;
  /** Pushes scheduled, by organisation. */
  readonly #scheduled = new Map<string, ReturnType<typeof setTimeout>>();
  /** Organisations whose view is being read, and those that changed meanwhile. */
  readonly #reading = new Set<string>();
  readonly #changedWhileReading = new Set<string>();
  /** When each organisation's last push started (wall clock, ms). */
  readonly #lastStarted = new Map<string, number>();
  #closed = false;

  constructor(deps: LivePushesDeps) {
    this.#deps = deps;
    this.#intervalMs = deps.intervalMs ?? 250;
  }

  /** Whether anyone on this instance watches a live view (else there is nothing to push). */
  get watched(): boolean {
    return this.#deps.ns.sockets.size > 0;
  }

  /** The organisation changed: its supervisors get a fresh view soon. */
  changed(organisationId: string): void {
    if (this.#closed) return;
    if (this.#reading.has(organisationId)) {
      // The view being read may predate this change: push once more after it.
      this.#changedWhileReading.add(organisationId);
      return;
    }
    if (this.#scheduled.has(organisationId)) return;
    const last = this.#lastStarted.get(organisationId);
    const wait = last === undefined ? 0 : Math.max(0, last + this.#intervalMs - Date.now());
    this.#scheduled.set(
      organisationId,
      setTimeout(() => void this.#push(organisationId), wait),
    );
  }

  /** Stops pushing; safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#scheduled.values()) clearTimeout(timer);
    this.#scheduled.clear();
  }

  async #push(organisationId: string): Promise<void> {
    this.#scheduled.delete(organisationId);
    this.#lastStarted.set(organisationId, Date.now());
    const { db, ns, clock, logger } = this.#deps;
    const room = organisationRoom(organisationId);
    // No adapter spans instances, so this instance's room is the whole audience.
    if (!ns.adapter.rooms.get(room)?.size) return;
    this.#reading.add(organisationId);
    try {
      const view = await liveView(db, organisationId, clock.now());
      if (!this.#closed) ns.to(room).emit('live:view', view);
    } catch (error) {
      if (!this.#closed) logger.error({ err: error, organisationId }, 'live view push failed');
    } finally {
      this.#reading.delete(organisationId);
      if (this.#changedWhileReading.delete(organisationId)) this.changed(organisationId);
    }
  }
}
