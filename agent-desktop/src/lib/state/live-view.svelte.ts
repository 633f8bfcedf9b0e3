/**
 * The supervisor's live view (SPEC §14): the `/supervisor` socket and the latest `LiveView`
 * the server pushed. Durations tick client-side from the view and when it arrived.
 */
import type { AgentStatus, LiveView, SessionUser, SupervisorClientToServerEvents, SupervisorServerToClientEvents } from '@cc/contracts';
import { io, type Socket } from 'socket.io-client';
import { REFUSED_RETRY_MS, sessionStillValid } from '$lib/api/socket';

type SupervisorSocket = Socket<SupervisorServerToClientEvents, SupervisorClientToServerEvents>;

/** Supervisors and admins watch the live view. */
export function canWatchLive(user: SessionUser): boolean {
  return user.role === 'supervisor' || user.role === 'admin';
}

export class LiveViewState {
  #socket: SupervisorSocket | null = null;
  #view = $state.raw<LiveView | null>(null);
  /** Client time (ms) the current view arrived; durations count on from here. */
  #receivedAt = $state(0);
  #connected = $state(false);
  #everConnected = $state(false);
  #forbidden = $state(false);
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #destroyed = false;
  readonly #onUnauthenticated: () => void;

  constructor(onUnauthenticated: () => void) {
    this.#onUnauthenticated = onUnauthenticated;
  }

  /** The latest view, or null before the first one arrives. */
  get current(): LiveView | null {
    return this.#view;
  }
  /** True while a socket that had connected is trying to connect again. */
  get reconnecting(): boolean {
    return this.#everConnected && !this.#connected;
  }
  /** True when the service refused this user the live view. */
  get forbidden(): boolean {
    return this.#forbidden;
  }

  /**
   * Milliseconds elapsed at client time `now` since `since` (ISO, server time): measured
   * against the view's own `generatedAt`, so a skewed client clock does not shift it.
   */
  elapsedSince(since: string, now: number): number {
    const view = this.#view;
    if (!view) return 0;
    return Date.parse(view.generatedAt) - Date.parse(since) + (now - this.#receivedAt);
  }

  /** `seconds` as of the view, counted on to client time `now`, in ms. */
  countedOn(seconds: number, now: number): number {
    return seconds * 1000 + (now - this.#receivedAt);
  }

  connect(): void {
    if (this.#socket) return;
    const socket: SupervisorSocket = io('/supervisor', { path: '/socket.io', withCredentials: true });
    this.#socket = socket;
    socket.on('connect', () => {
      this.#connected = true;
      this.#everConnected = true;
    });
    socket.on('disconnect', () => {
      this.#connected = false;
    });
    socket.on('connect_error', (error) => {
      this.#connected = false;
      if (error.message === 'forbidden') {
        this.#forbidden = true;
        return;
      }
      // A refusal by the server's middleware (e.g. no session) is not retried by Socket.IO.
      if (!socket.active) void this.#afterRefusal();
    });
    socket.on('live:view', (view) => this.#apply(view));
  }

  destroy(): void {
    this.#destroyed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#socket?.disconnect();
    this.#socket = null;
  }

  #apply(view: LiveView): void {
    this.#view = view;
    this.#receivedAt = Date.now();
  }

  async #afterRefusal(): Promise<void> {
    if (!(await sessionStillValid())) {
      this.#onUnauthenticated();
      return;
    }
    if (this.#destroyed) return;
    this.#everConnected = true;
    this.#retryTimer = setTimeout(() => this.#socket?.connect(), REFUSED_RETRY_MS);
  }
}

/** A queue's members as the live view groups them: ready, busy with a call, and the rest (offline apart). */
export function agentGroups(byStatus: Record<AgentStatus, number>) {
  return {
    available: byStatus.available,
    onCall: byStatus.ringing + byStatus.on_call + byStatus.on_hold,
    other: byStatus.busy + byStatus.away + byStatus.wrap_up,
    offline: byStatus.offline,
  };
}
