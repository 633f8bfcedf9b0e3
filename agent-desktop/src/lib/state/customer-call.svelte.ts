/**
 * The customer's side of a call link: the public link, the `/customer` socket, the call's
 * state as the server reports it, and the media session.
 */
import {
  FINAL_CALL_STATES,
  type CallMedia,
  type CustomerCallView,
  type CustomerClientToServerEvents,
  type CustomerServerToClientEvents,
  type MediaJoin,
  type PublicCallLink,
} from '@cc/contracts';
import { io, type Socket } from 'socket.io-client';
import { api, errorMessage } from '$lib/api/http';
import { request } from '$lib/api/socket';
import { getLocalMedia, MediaPermissionError, MediaSession } from '$lib/media';
import { CallMediaState } from './call-media-state.svelte';

type CustomerSocket = Socket<CustomerServerToClientEvents, CustomerClientToServerEvents>;

/** idle: not started; starting: asking for devices / creating the call; active: in a call; ended. */
export type CustomerPhase = 'idle' | 'starting' | 'active' | 'ended';

export function fetchPublicLink(token: string, fetchImpl: typeof fetch = fetch): Promise<PublicCallLink> {
  return api<PublicCallLink>('GET', `/call-links/public/${encodeURIComponent(token)}`, undefined, fetchImpl);
}

export class CustomerCall {
  readonly token: string;
  #link = $state.raw<PublicCallLink>({ usable: false, problem: 'link_not_found', organisationName: null });
  #phase = $state<CustomerPhase>('idle');
  #call = $state.raw<CustomerCallView | null>(null);
  #error = $state<string | null>(null);
  readonly media = new CallMediaState();
  #socket: CustomerSocket | null = null;

  constructor(token: string, link: PublicCallLink) {
    this.token = token;
    this.#link = link;
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

  /** What the status line says. */
  get statusText(): string {
    if (this.#phase === 'ended') return 'Call ended';
    const call = this.#call;
    if (!call) return this.#phase === 'starting' ? 'Starting your call…' : '';
    switch (call.state) {
      case 'queued':
      case 'ringing':
        return 'Waiting for an agent…';
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
      const { call, media } = await request(socket, 'call:start', { media: kind });
      // A `call:state` pushed before the acknowledgement is newer than the ack's view.
      if (this.#currentCall()?.callId !== call.callId) this.#call = call;
      if (this.#ended()) return;
      this.#phase = 'active';
      await this.#openMedia(media, local);
      if (this.#call && FINAL_CALL_STATES.includes(this.#call.state)) void this.#finish();
    } catch (error) {
      // Hung up (or ended by the service) while starting: nothing more to report.
      if (this.#ended()) return;
      this.#error = errorMessage(error);
      // A call without media helps no one: end it so no agent answers silence.
      if (this.#call && this.#socket?.connected) {
        await request(this.#socket, 'call:hangup', {}).catch(() => undefined);
      }
      this.#teardown();
      this.#phase = this.#call ? 'ended' : 'idle';
      if (this.#call) void this.#refreshLink();
    }
  }

  async hangUp(): Promise<void> {
    const socket = this.#socket;
    if (socket?.connected) {
      await request(socket, 'call:hangup', {}).catch(() => undefined);
    }
    await this.#finish();
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

  #connect(): Promise<CustomerSocket> {
    return new Promise((resolve, reject) => {
      const socket: CustomerSocket = io('/customer', {
        path: '/socket.io',
        auth: { linkToken: this.token },
        reconnectionAttempts: 5,
      });
      this.#socket = socket;
      socket.on('call:state', (call) => {
        this.#call = call;
        if (FINAL_CALL_STATES.includes(call.state)) void this.#finish();
      });
      socket.once('connect', () => resolve(socket));
      socket.on('connect_error', (error) => {
        if (!socket.active) {
          reject(new Error(error.message || 'The call could not be started.'));
        }
      });
      socket.on('disconnect', (reason) => {
        // The server closing our socket means the call is over for us.
        if (reason === 'io server disconnect' && this.#phase === 'active') void this.#finish();
      });
    });
  }

  async #openMedia(join: MediaJoin, local: MediaStream): Promise<void> {
    const session = await MediaSession.open(join, local);
    if (this.#phase !== 'active') {
      session.close();
      return;
    }
    this.media.attach(session, local);
  }

  async #finish(): Promise<void> {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
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
    this.media.close();
    this.#socket?.disconnect();
    this.#socket = null;
  }
}
