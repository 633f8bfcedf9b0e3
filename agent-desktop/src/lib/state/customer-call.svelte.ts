/**
 * The customer's side of a call link: the public link, the `/customer` socket, the call's
 * state as the server reports it, and the media session. A call in progress survives a
 * dropped socket and a page reload: the resume credential `call:start` gives is kept in
 * sessionStorage (this tab only) and presented whenever the socket connects again.
 */
import {
  FINAL_CALL_STATES,
  type CallMedia,
  type CustomerCallView,
  type CustomerClientToServerEvents,
  type CustomerHandshake,
  type CustomerServerToClientEvents,
  type MediaJoin,
  type PublicCallLink,
} from '@cc/contracts';
import { io, type Socket } from 'socket.io-client';
import { api, errorMessage } from '$lib/api/http';
import { AckError, request } from '$lib/api/socket';
import { CONNECTION_LOST, getLocalMedia, MediaPermissionError, MediaSession } from '$lib/media';
import { formatDuration, secondsUntil } from '$lib/format';
import { CallMediaState } from './call-media-state.svelte';
import { clock } from './clock.svelte';

type CustomerSocket = Socket<CustomerServerToClientEvents, CustomerClientToServerEvents>;

/** idle: not started; starting: asking for devices / creating or resuming the call; active: in a call; ended. */
export type CustomerPhase = 'idle' | 'starting' | 'active' | 'ended';

/**
 * Reconnection attempts after a dropped socket: Socket.IO's back-off (1 s doubling to 5 s)
 * makes ten of them outlast the service's reconnect grace (15 s by default).
 */
const RECONNECTION_ATTEMPTS = 10;

const REJOINABLE = new Set<string>(Object.values(CONNECTION_LOST));

export function fetchPublicLink(token: string, fetchImpl: typeof fetch = fetch): Promise<PublicCallLink> {
  return api<PublicCallLink>('GET', `/call-links/public/${encodeURIComponent(token)}`, undefined, fetchImpl);
}

/** The resume credential of this tab's call on one link; sessionStorage, so it dies with the tab. */
class StoredResume {
  readonly #key: string;
  constructor(token: string) {
    this.#key = `cc:resume:${token}`;
  }
  get current(): string | null {
    try {
      return sessionStorage.getItem(this.#key);
    } catch {
      return null; // storage disabled: the call simply cannot be resumed after a reload
    }
  }
  set current(value: string | null) {
    try {
      if (value) sessionStorage.setItem(this.#key, value);
      else sessionStorage.removeItem(this.#key);
    } catch {
      // as above
    }
  }
}

export class CustomerCall {
  readonly token: string;
  #link = $state.raw<PublicCallLink>({ usable: false, problem: 'link_not_found', organisationName: null });
  #phase = $state<CustomerPhase>('idle');
  #call = $state.raw<CustomerCallView | null>(null);
  #error = $state<string | null>(null);
  #resuming = $state(false);
  #reconnecting = $state(false);
  readonly media = new CallMediaState();
  readonly #resume: StoredResume;
  #socket: CustomerSocket | null = null;
  #rejoining = false;

  constructor(token: string, link: PublicCallLink) {
    this.token = token;
    this.#link = link;
    this.#resume = new StoredResume(token);
  }

  get link(): PublicCallLink {
    return this.#link;
  }
  get phase(): CustomerPhase {
    return this.#phase;
  }
  get call(): CustomerCallView | null {
    return this.#call;
  }
  get error(): string | null {
    return this.#error;
  }
  get isVideo(): boolean {
    return this.#call?.media === 'video';
  }
  /** True while the socket of a call in progress is trying to connect again. */
  get reconnecting(): boolean {
    return this.#reconnecting;
  }

  /** What the status line says. */
  get statusText(): string {
    if (this.#phase === 'ended') return 'Call ended';
    const call = this.#call;
    if (!call) return this.#phase !== 'starting' ? '' : this.#resuming ? 'Reconnecting to your call…' : 'Starting your call…';
    switch (call.state) {
      case 'queued':
      case 'ringing':
        if (call.endReason === 'voicemail') return 'Recording your message';
        if (call.endReason === 'outside_hours') return 'We are closed at the moment';
        return call.transferring ? 'Transferring your call…' : 'Waiting for an agent…';
      case 'connected':
        return call.agentName ? `Connected with ${call.agentName}` : 'Connected';
      case 'on_hold':
        return 'On hold';
      case 'ended':
      case 'abandoned':
      case 'timed_out':
      case 'failed':
        return 'Call ended';
    }
  }

  /** "You are number 3 in the queue · about 4 min wait" while waiting (not during a transfer). */
  get placeText(): string | null {
    const call = this.#call;
    if (this.#phase === 'ended' || !call || call.position === null || call.transferring || call.endReason) return null;
    if (call.state !== 'queued' && call.state !== 'ringing') return null;
    const place = call.position === 1 ? 'You are next in the queue' : `You are number ${call.position} in the queue`;
    const minutes = Math.max(1, Math.round((call.estimatedWaitSeconds ?? 0) / 60));
    return call.estimatedWaitSeconds === null ? place : `${place} · about ${minutes} min wait`;
  }

  /** While the caller leaves a voicemail: what to do, and how long the message may still be. */
  get voicemailText(): string | null {
    const endsAt = this.#call?.voicemailEndsAt;
    if (this.#phase !== 'active' || !endsAt) return null;
    const left = secondsUntil(endsAt, clock.now);
    return `Speak after the tone, then hang up when you are done · ${formatDuration(left * 1000)} left`;
  }

  /** Why the call ended, when the customer should know more than "Call ended". */
  get endNote(): string | null {
    if (this.#phase !== 'ended') return null;
    if (this.#call?.state === 'timed_out') return 'No agent could take your call in time. Please try again later.';
    if (this.#call?.endReason === 'callback_requested') return 'Thank you. We will call you back.';
    if (this.#call?.endReason === 'voicemail') return 'Thank you. Your message has been recorded; we will call you back.';
    if (this.#call?.endReason === 'outside_hours') return 'We are closed at the moment. Please call again during our opening hours.';
    return null;
  }

  /** Devices first: without permission nothing is created and no socket is opened. */
  async start(kind: CallMedia): Promise<void> {
    if (this.#phase === 'starting' || this.#phase === 'active') return;
    this.#error = null;
    this.#phase = 'starting';
    this.#call = null;
    let local: MediaStream;
    try {
      local = await getLocalMedia(kind);
    } catch (error) {
      this.#error = error instanceof MediaPermissionError ? error.message : errorMessage(error);
      this.#phase = 'idle';
      return;
    }
    this.media.preview(local);
    try {
      const socket = await this.#connect();
      const { call, media, resume } = await request(socket, 'call:start', { media: kind });
      this.#resume.current = resume;
      // A `call:state` pushed before the acknowledgement is newer than the ack's view.
      if (this.#currentCall()?.callId !== call.callId) this.#call = call;
      if (this.#ended()) return;
      this.#phase = 'active';
      await this.#openMedia(media, local);
      if (this.#call && FINAL_CALL_STATES.includes(this.#call.state)) void this.#finish();
    } catch (error) {
      await this.#failed(error);
    }
  }

  /**
   * Takes back the call this tab was in before a reload, when there is one: the socket
   * presents the stored credential, the call's media is joined afresh.
   */
  async resumeStored(): Promise<void> {
    if (!this.#resume.current || this.#phase !== 'idle') return;
    this.#error = null;
    this.#phase = 'starting';
    this.#resuming = true;
    try {
      const socket = await this.#connect();
      const { call, media, resume } = await request(socket, 'call:rejoin', {});
      this.#resume.current = resume;
      if (this.#currentCall()?.callId !== call.callId) this.#call = call;
      if (this.#ended()) return;
      const local = await getLocalMedia(call.media);
      if (this.#ended()) return;
      this.media.preview(local);
      this.#phase = 'active';
      await this.#openMedia(media, local);
    } catch (error) {
      await this.#failed(error);
    } finally {
      this.#resuming = false;
    }
  }

  async hangUp(): Promise<void> {
    const socket = this.#socket;
    if (socket?.connected) {
      await request(socket, 'call:hangup', {}).catch(() => undefined);
    }
    await this.#finish();
  }

  /** The keys that do something now (the message asks for one): the page shows the keypad. */
  get keys(): string[] {
    return this.#phase === 'active' ? (this.#call?.keys ?? []) : [];
  }

  /** A key of the keypad: a response code (SPEC §8). A key that does nothing now says so. */
  async pressKey(digit: string): Promise<void> {
    const socket = this.#socket;
    if (!socket?.connected) return;
    this.#error = null;
    try {
      await request(socket, 'call:digit', { digit });
    } catch (error) {
      this.#error = errorMessage(error);
    }
  }

  /** Back to the start screen ("Call again"). */
  reset(): void {
    this.#phase = 'idle';
    this.#call = null;
    this.#error = null;
  }

  destroy(): void {
    this.#teardown();
  }

  // Read through methods: the socket's events change these during the awaits above.
  #ended(): boolean {
    return this.#phase === 'ended';
  }

  #currentCall(): CustomerCallView | null {
    return this.#call;
  }

  /** Starting or resuming went wrong: say why, and leave no call without media behind. */
  async #failed(error: unknown): Promise<void> {
    // Hung up (or ended by the service) meanwhile: nothing more to report.
    if (this.#ended()) return;
    if (error instanceof AckError && error.code === 'call_ended') {
      await this.#finish();
      return;
    }
    this.#error = error instanceof MediaPermissionError ? error.message : errorMessage(error);
    // A call without media helps no one: end it so no agent answers (or stays with) silence.
    if (this.#call && this.#socket?.connected) {
      await request(this.#socket, 'call:hangup', {}).catch(() => undefined);
    }
    this.#resume.current = null;
    this.#teardown();
    this.#phase = this.#call ? 'ended' : 'idle';
    if (this.#call) void this.#refreshLink();
  }

  #connect(): Promise<CustomerSocket> {
    return new Promise((resolve, reject) => {
      let connectedOnce = false;
      const socket: CustomerSocket = io('/customer', {
        path: '/socket.io',
        // A function, so every reconnection presents the credential of the call now in progress.
        auth: (cb) => {
          const resume = this.#resume.current;
          cb({ linkToken: this.token, ...(resume ? { resume } : {}) } satisfies CustomerHandshake);
        },
        reconnectionAttempts: RECONNECTION_ATTEMPTS,
      });
      this.#socket = socket;
      socket.on('call:place', (place) => {
        const call = this.#call;
        if (call?.callId === place.callId)
          this.#call = { ...call, position: place.position, estimatedWaitSeconds: place.estimatedWaitSeconds };
      });
      socket.on('call:state', (call) => {
        this.#call = withPlace(call, this.#call);
        if (FINAL_CALL_STATES.includes(call.state)) void this.#finish();
      });
      socket.on('connect', () => {
        this.#reconnecting = false;
        if (connectedOnce) void this.#rejoinMedia();
        connectedOnce = true;
        resolve(socket);
      });
      socket.on('connect_error', (error) => {
        // The server's refusal (not a network failure) is final: Socket.IO does not retry it.
        if (socket.active) return;
        const refusal = refusalOf(error);
        if (!connectedOnce) reject(refusal);
        else void this.#failed(refusal);
      });
      socket.on('disconnect', (reason) => {
        // The server closing our socket means the call is over for us.
        if (reason === 'io server disconnect' && this.#phase === 'active') void this.#finish();
        // Anything but our own goodbye is a dropped connection that Socket.IO is retrying.
        else if (reason !== 'io client disconnect' && !this.#ended()) this.#reconnecting = true;
      });
      socket.io.on('reconnect_failed', () => {
        if (!connectedOnce) reject(new Error('The call service cannot be reached. Check your connection and try again.'));
        else void this.#failed(new Error('The connection to your call was lost.'));
      });
    });
  }

  /**
   * The call's media was lost (the SFU connection dropped) or the socket came back without it:
   * a fresh join for the same call, with the devices taken again if they were let go.
   */
  async #rejoinMedia(): Promise<void> {
    const socket = this.#socket;
    const call = this.#call;
    if (!socket?.connected || !call || this.#phase !== 'active' || this.media.open || this.#rejoining) return;
    this.#rejoining = true;
    try {
      const { media, resume } = await request(socket, 'call:rejoin', {});
      this.#resume.current = resume;
      const local = this.media.localStream ?? (await getLocalMedia(call.media));
      await this.#openMedia(media, local);
    } catch (error) {
      await this.#failed(error);
    } finally {
      this.#rejoining = false;
    }
  }

  async #openMedia(join: MediaJoin, local: MediaStream): Promise<void> {
    const session = await MediaSession.open(join, local);
    if (this.#phase !== 'active') {
      session.close();
      return;
    }
    this.media.attach(session, local);
    session.onClosed((reason) => {
      // A room closed by the service is the call ending (its `call:state` says so); a lost
      // connection is not, and is joined again.
      if (REJOINABLE.has(reason)) void this.#rejoinMedia();
    });
  }

  async #finish(): Promise<void> {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    this.#resume.current = null;
    this.#teardown();
    await this.#refreshLink();
  }

  async #refreshLink(): Promise<void> {
    try {
      this.#link = await fetchPublicLink(this.token);
    } catch {
      this.#link = { usable: false, problem: 'link_not_found', organisationName: null };
    }
  }

  #teardown(): void {
    this.#reconnecting = false;
    this.media.close();
    this.#socket?.disconnect();
    this.#socket = null;
  }
}

/** Only replies carry the place in the queue (then `call:place` updates it): keep the last one while still waiting. */
function withPlace(next: CustomerCallView, previous: CustomerCallView | null): CustomerCallView {
  const waiting = next.state === 'queued' || next.state === 'ringing';
  if (!waiting || next.position !== null || previous?.callId !== next.callId) return next;
  return { ...next, position: previous.position, estimatedWaitSeconds: previous.estimatedWaitSeconds };
}

/** The words for a refused socket: the service's own message when it sent one. */
function refusalOf(error: Error & { data?: unknown }): AckError {
  const data = error.data as { code?: unknown; message?: unknown } | undefined;
  const code = typeof data?.code === 'string' ? data.code : error.message;
  if (code === 'resume_refused') return new AckError(code, 'Your call could not be resumed. Please start a new call.');
  return new AckError(code, typeof data?.message === 'string' ? data.message : error.message || 'The call could not be started.');
}
