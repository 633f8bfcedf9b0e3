/**
 * The agent desktop's live state: the `/agent` socket, the latest `AgentSnapshot` the server
 * pushed (the UI renders from it alone), the call's media session and the ringing sound.
 */
import {
  AGENT_CHOSEN_STATUSES,
  type AgentCallView,
  type AgentChosenStatus,
  type AgentClientToServerEvents,
  type AgentServerToClientEvents,
  type AgentSnapshot,
  type CallTransferRequest,
  type MediaJoin,
  type Notice,
  type TransferTargets,
  type WrapUpView,
} from '@cc/contracts';
import { createContext } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import { io, type Socket } from 'socket.io-client';
import { errorMessage } from '$lib/api/http';
import { REFUSED_RETRY_MS, request, sessionStillValid, type RequestData, type RequestEvent, type RequestPayload } from '$lib/api/socket';
import { getLocalMedia, MediaClosedError, MediaPermissionError, MediaSession } from '$lib/media';
import { CallMediaState, stopTracks } from './call-media-state.svelte';
import { Ringer } from './ringer';
import { WrapUpEditor } from './wrap-up.svelte';

type AgentSocket = Socket<AgentServerToClientEvents, AgentClientToServerEvents>;

export interface NoticeItem extends Notice {
  id: number;
}

/** What the desktop is doing on the agent's behalf, to disable buttons meanwhile. */
export type PendingAction =
  'answer' | 'decline' | 'hangup' | 'hold' | 'transfer' | 'transfer-targets' | 'status' | 'media' | 'wrapup-extend' | 'wrapup-end' | null;

/** Longest list of notices kept on screen. */
const MAX_NOTICES = 5;

export function isChosenStatus(status: string): status is AgentChosenStatus {
  return (AGENT_CHOSEN_STATUSES as readonly string[]).includes(status);
}

export class AgentDesktop {
  #socket: AgentSocket | null = null;
  #snapshot = $state.raw<AgentSnapshot | null>(null);
  #connected = $state(false);
  #everConnected = $state(false);
  #notices = $state.raw<NoticeItem[]>([]);
  #error = $state<string | null>(null);
  /** Who the call in progress can be transferred to, once asked for (null: the transfer panel is closed). */
  #transferTargets = $state.raw<TransferTargets | null>(null);
  /** Actions in flight; each blocks only a repeat of itself, so hanging up is never held back by a media open. */
  readonly #inFlight = new SvelteSet<Exclude<PendingAction, null>>();

  /** The call's media: session, local devices, mute and camera. */
  readonly media = new CallMediaState();
  /** The call whose media is open or being opened. */
  #mediaCallId: string | null = null;
  #opening = false;
  /** Calls for which media was already re-entered automatically (once per call). */
  readonly #rejoined = new SvelteSet<string>();
  #nextNoticeId = 1;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #destroyed = false;

  readonly #ringer = new Ringer();
  readonly #onUnauthenticated: () => void;
  readonly wrapUp = new WrapUpEditor((req) => this.#request('wrapup:update', req));

  constructor(onUnauthenticated: () => void) {
    this.#onUnauthenticated = onUnauthenticated;
  }

  get snapshot(): AgentSnapshot | null {
    return this.#snapshot;
  }
  get connected(): boolean {
    return this.#connected;
  }
  /** True while a socket that had connected is trying to connect again. */
  get reconnecting(): boolean {
    return this.#everConnected && !this.#connected;
  }
  get notices(): NoticeItem[] {
    return this.#notices;
  }
  get transferTargets(): TransferTargets | null {
    return this.#transferTargets;
  }

  get error(): string | null {
    return this.#error;
  }
  /** Whether `action` is in flight (its button shows busy). */
  isPending(action: Exclude<PendingAction, null>): boolean {
    return this.#inFlight.has(action);
  }
  /** Whether answering or declining is in flight (both pop-up buttons wait). */
  get ringActionPending(): boolean {
    return this.#inFlight.has('answer') || this.#inFlight.has('decline');
  }

  get callInProgress(): boolean {
    const state = this.#snapshot?.call?.state;
    return state === 'connected' || state === 'on_hold';
  }

  connect(): void {
    if (this.#socket) return;
    const socket: AgentSocket = io('/agent', { path: '/socket.io', withCredentials: true });
    this.#socket = socket;
    socket.on('connect', () => {
      this.#connected = true;
      this.#everConnected = true;
    });
    socket.on('disconnect', () => {
      this.#connected = false;
    });
    socket.on('connect_error', () => {
      this.#connected = false;
      // A refusal by the server's middleware (e.g. no session) is not retried by Socket.IO.
      if (!socket.active) void this.#afterRefusal();
    });
    socket.on('agent:state', (snapshot) => this.#apply(snapshot));
    socket.on('notice', (notice) => this.#notice(notice));
  }

  destroy(): void {
    this.#destroyed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#ringer.stop();
    this.#closeMedia();
    this.#socket?.disconnect();
    this.#socket = null;
  }

  dismissNotice(id: number): void {
    this.#notices = this.#notices.filter((notice) => notice.id !== id);
  }

  dismissError(): void {
    this.#error = null;
  }

  async setStatus(status: AgentChosenStatus): Promise<void> {
    await this.#act('status', async () => {
      this.#apply(await this.#request('status:set', { status }));
    });
  }

  /** Local media first: a denied permission declines, so the call moves on instead of half-opening. */
  async answer(): Promise<void> {
    const call = this.#snapshot?.call;
    if (!call || call.state !== 'ringing' || this.#opening) return;
    this.#error = null;
    this.#ringer.stop();
    await this.#enterMedia(call, 'answer', {
      join: async () => (await this.#request('call:answer', { callId: call.callId })).media,
      withoutDevices: async (error) => {
        this.#error = error instanceof MediaPermissionError ? error.message : errorMessage(error);
        await this.#request('call:decline', { callId: call.callId }).catch(() => undefined);
      },
    });
  }

  async decline(): Promise<void> {
    const call = this.#snapshot?.call;
    if (!call) return;
    this.#ringer.stop();
    await this.#act('decline', async () => {
      await this.#request('call:decline', { callId: call.callId });
    });
    this.#reconcile();
  }

  async hangUp(): Promise<void> {
    const call = this.#snapshot?.call;
    if (!call) return;
    await this.#act('hangup', async () => {
      await this.#request('call:hangup', { callId: call.callId });
    });
    this.#closeMedia();
  }

  /** Puts the customer on hold, or takes them back (SPEC §5). */
  async toggleHold(): Promise<void> {
    const call = this.#snapshot?.call;
    if (!call || (call.state !== 'connected' && call.state !== 'on_hold')) return;
    const event = call.state === 'on_hold' ? 'call:resume' : 'call:hold';
    await this.#act('hold', async () => {
      await this.#request(event, { callId: call.callId });
    });
  }

  /** Opens (or refreshes) the transfer panel: the queue's agents, available first, and the queues with AAA on. */
  async loadTransferTargets(): Promise<void> {
    const call = this.#snapshot?.call;
    if (!call) return;
    await this.#act('transfer-targets', async () => {
      this.#transferTargets = await this.#request('transfer:targets', { callId: call.callId });
    });
  }

  closeTransfer(): void {
    this.#transferTargets = null;
  }

  /** Blind transfer (SPEC §6): this agent leaves the call at once and goes to wrap-up. */
  async transfer(to: CallTransferRequest['to']): Promise<void> {
    const call = this.#snapshot?.call;
    if (!call) return;
    await this.#act('transfer', async () => {
      await this.#request('call:transfer', { callId: call.callId, to });
      this.#transferTargets = null;
    });
  }

  /** Enters the media of the call in progress again (after a reload, or a failed attempt). */
  async rejoinMedia(): Promise<void> {
    const call = this.#snapshot?.call;
    if (!call || !this.callInProgress || this.#opening || this.media.open) return;
    this.#rejoined.add(call.callId);
    await this.#enterMedia(call, 'media', {
      join: async () => (await this.#request('call:media', { callId: call.callId })).media,
      withoutDevices: (error) => {
        this.#error = errorMessage(error);
        return Promise.resolve();
      },
    });
  }

  /**
   * Takes the local devices, then a join for the call's room, then opens the media session.
   * A room that closes while opening (the call ended) is not an error for the agent.
   */
  async #enterMedia(
    call: AgentCallView,
    action: 'answer' | 'media',
    steps: { join: () => Promise<MediaJoin>; withoutDevices: (error: unknown) => Promise<void> },
  ): Promise<void> {
    this.#opening = true;
    this.#mediaCallId = call.callId;
    this.#inFlight.add(action);
    try {
      let local: MediaStream;
      try {
        local = await getLocalMedia(call.media);
      } catch (error) {
        await steps.withoutDevices(error);
        return;
      }
      try {
        await this.#openMedia(call.callId, await steps.join(), local);
      } catch (error) {
        stopTracks(local);
        if (!(error instanceof MediaClosedError)) this.#error = errorMessage(error);
      }
    } finally {
      this.#opening = false;
      this.#inFlight.delete(action);
      if (!this.media.open) this.#mediaCallId = null;
      this.#reconcile();
    }
  }

  async extendWrapUp(): Promise<void> {
    const wrapUp = this.#snapshot?.wrapUp;
    if (!wrapUp) return;
    await this.#act('wrapup-extend', async () => {
      this.#patchWrapUp(await this.#request('wrapup:extend', { callId: wrapUp.callId }));
    });
  }

  async endWrapUp(): Promise<void> {
    const wrapUp = this.#snapshot?.wrapUp;
    if (!wrapUp) return;
    await this.#act('wrapup-end', async () => {
      await this.wrapUp.flush();
      this.#apply(await this.#request('wrapup:end', { callId: wrapUp.callId }));
    });
  }

  #request<K extends RequestEvent<AgentClientToServerEvents>>(
    event: K,
    payload: RequestPayload<AgentClientToServerEvents, K>,
  ): Promise<RequestData<AgentClientToServerEvents, K>> {
    const socket = this.#socket;
    if (!socket?.connected) return Promise.reject(new Error('Not connected to the service. Reconnecting…'));
    return request(socket, event, payload);
  }

  async #act(action: Exclude<PendingAction, null>, run: () => Promise<void>): Promise<void> {
    if (this.#inFlight.has(action)) return;
    this.#inFlight.add(action);
    this.#error = null;
    try {
      await run();
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#inFlight.delete(action);
    }
  }

  #apply(snapshot: AgentSnapshot): void {
    this.#snapshot = snapshot;
    this.wrapUp.sync(snapshot.wrapUp);
    this.#reconcile();
  }

  #patchWrapUp(view: WrapUpView): void {
    const snapshot = this.#snapshot;
    if (snapshot?.wrapUp?.callId === view.callId) this.#apply({ ...snapshot, wrapUp: view });
  }

  /** Makes the ring and the media follow the snapshot. */
  #reconcile(): void {
    const call = this.#snapshot?.call ?? null;
    // A call that left this desk (transferred) and comes back (the transfer failed) is joined afresh.
    if (!call) {
      this.#rejoined.clear();
      this.#transferTargets = null;
    }
    const answered = call !== null && call.callId === this.#mediaCallId;
    if (call?.state === 'ringing' && !this.#opening && !answered) this.#ringer.start();
    else this.#ringer.stop();

    const inProgress = this.callInProgress;
    // The answer's acknowledgement may come before the snapshot that says `connected`:
    // media of the call just answered stays open while it still reads `ringing`.
    const keepMedia = call?.callId === this.#mediaCallId && (inProgress || call?.state === 'ringing');
    if (this.media.open && !keepMedia) this.#closeMedia();
    if (call && inProgress && !this.media.open && !this.#opening && !this.#rejoined.has(call.callId)) {
      void this.rejoinMedia();
    }
  }

  async #openMedia(callId: string, join: MediaJoin, local: MediaStream): Promise<void> {
    const session = await MediaSession.open(join, local);
    const call = this.#snapshot?.call;
    const live = call?.state === 'ringing' || call?.state === 'connected' || call?.state === 'on_hold';
    if (this.#destroyed || call?.callId !== callId || !live) {
      session.close();
      stopTracks(local);
      return;
    }
    this.#rejoined.add(callId);
    this.#mediaCallId = callId;
    this.media.attach(session, local);
  }

  #closeMedia(): void {
    this.media.close();
    this.#mediaCallId = null;
  }

  #notice(notice: Notice): void {
    const item = { ...notice, id: this.#nextNoticeId++ };
    this.#notices = [...this.#notices, item].slice(-MAX_NOTICES);
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

export const [getAgentDesktop, setAgentDesktop] = createContext<AgentDesktop>();
