/**
 * One participant's media in a call, over the SFU's signaling endpoint (Socket.IO with a
 * join token) and mediasoup-client: a send transport carrying the local microphone (and
 * camera), a receive transport carrying the other side, exposed as one `remoteStream`.
 *
 * No automatic reconnection: the SFU drops a peer whose socket goes away, and the join token
 * is short-lived, so a lost connection is final here and reported through `onClosed`; the
 * page asks the routing service for a fresh join (`call:media`) to re-enter.
 */
import { Device, type types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import type { MediaJoin, NewConsumer, ProducerSource, SfuClientToServerEvents, SfuServerToClientEvents } from '@cc/contracts';
import { request } from '$lib/api/socket';

type SfuSocket = Socket<SfuServerToClientEvents, SfuClientToServerEvents>;

/** How long to wait for the SFU to accept the connection, in ms. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOURCE_OF_KIND: Record<'audio' | 'video', ProducerSource> = { audio: 'microphone', video: 'camera' };

/** Close reasons that are a lost connection rather than the room closing: joining again may work. */
export const CONNECTION_LOST = { socket: 'connection lost', transport: 'media connection failed' } as const;

/** The room closed (the call ended) or the connection was lost while the session was opening. */
export class MediaClosedError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`The call's media closed (${reason}).`);
    this.name = 'MediaClosedError';
    this.reason = reason;
  }
}

export class MediaSession {
  /** The other side's audio (and video) tracks; the same object for the whole session. */
  readonly remoteStream = new MediaStream();
  readonly #socket: SfuSocket;
  readonly #local: MediaStream;
  readonly #device = new Device();
  #sendTransport: types.Transport | undefined;
  #recvTransport: types.Transport | undefined;
  readonly #producers = new Map<'audio' | 'video', types.Producer>();
  readonly #consumers = new Map<string, types.Consumer>();
  readonly #remoteListeners = new Set<(stream: MediaStream) => void>();
  readonly #closedListeners = new Set<(reason: string) => void>();
  #closed = false;

  private constructor(socket: SfuSocket, local: MediaStream) {
    this.#socket = socket;
    this.#local = local;
  }

  /** Connects to join.url with auth {token: join.token}, loads the Device, creates send+recv transports, joins, produces every track of `local`. */
  static async open(join: MediaJoin, local: MediaStream): Promise<MediaSession> {
    const socket: SfuSocket = io(join.url, {
      auth: { token: join.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    const session = new MediaSession(socket, local);
    // A room closed while joining (the call ended) fails the open at once instead of leaving
    // its requests to time out.
    let stopWatching = (): void => undefined;
    const closedWhileOpening = new Promise<never>((_resolve, reject) => {
      stopWatching = session.onClosed((reason) => reject(new MediaClosedError(reason)));
    });
    try {
      await Promise.race([
        (async () => {
          await session.#connect();
          await session.#start();
        })(),
        closedWhileOpening,
      ]);
      return session;
    } catch (error) {
      session.close();
      throw error;
    } finally {
      stopWatching();
      closedWhileOpening.catch(() => undefined);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  onRemoteTracksChanged(cb: (stream: MediaStream) => void): () => void {
    this.#remoteListeners.add(cb);
    return () => this.#remoteListeners.delete(cb);
  }

  /** Called once, with the reason, when the room closed or the connection was lost for good (not after close()). */
  onClosed(cb: (reason: string) => void): () => void {
    this.#closedListeners.add(cb);
    return () => this.#closedListeners.delete(cb);
  }

  /** Pauses/resumes the microphone producer at the SFU and sets the track's `enabled`. */
  async setMicrophoneMuted(muted: boolean): Promise<void> {
    await this.#setPaused('audio', muted);
  }

  /** Same for the camera producer. */
  async setCameraEnabled(enabled: boolean): Promise<void> {
    await this.#setPaused('video', !enabled);
  }

  /** Switches device with immediate effect; the old track is stopped and the mute state kept. */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    const producer = this.#producers.get(kind);
    if (!producer) throw new Error(kind === 'audio' ? 'No microphone is being sent.' : 'No camera is being sent.');
    const previous = producer.track;
    track.enabled = !producer.paused;
    await producer.replaceTrack({ track });
    for (const old of this.#local.getTracks().filter((t) => t.kind === kind)) this.#local.removeTrack(old);
    this.#local.addTrack(track);
    if (previous && previous !== track) previous.stop();
  }

  /** Closes transports and socket and stops the local tracks. Safe twice. */
  close(): void {
    this.#shutdown();
  }

  #connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.once('connect', () => resolve());
      this.#socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
        const code = error.data?.code;
        reject(
          new Error(
            code === 'unauthenticated' || code === 'not_found'
              ? 'This call’s media is no longer available. Please try again.'
              : 'Could not reach the media server.',
            { cause: error },
          ),
        );
      });
    });
  }

  async #start(): Promise<void> {
    const socket = this.#socket;
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.#shutdown(CONNECTION_LOST.socket);
    });
    socket.on('roomClosed', ({ reason }) => this.#shutdown(reason));
    socket.on('newConsumer', (consumer, ack) => {
      this.#consume(consumer).then(
        () => ack({ ok: true, data: null }),
        (error: unknown) =>
          ack({ ok: false, error: { code: 'internal', message: error instanceof Error ? error.message : 'consume failed' } }),
      );
    });
    socket.on('consumerClosed', ({ consumerId }) => this.#removeConsumer(consumerId));
    socket.on('consumerPaused', ({ consumerId }) => this.#consumers.get(consumerId)?.pause());
    socket.on('consumerResumed', ({ consumerId }) => this.#consumers.get(consumerId)?.resume());

    const routerRtpCapabilities = await request(socket, 'getRouterRtpCapabilities', {});
    await this.#device.load({ routerRtpCapabilities: routerRtpCapabilities });
    this.#sendTransport = await this.#createTransport('send');
    this.#recvTransport = await this.#createTransport('recv');
    await request(socket, 'join', { rtpCapabilities: this.#device.rtpCapabilities });
    for (const track of this.#local.getTracks()) {
      const kind = track.kind === 'video' ? 'video' : 'audio';
      if (this.#producers.has(kind)) continue; // one producer per kind
      const producer = await this.#sendTransport.produce({
        track,
        stopTracks: false, // the local stream is ours to stop in close(), after replaceTrack swaps
        appData: { source: SOURCE_OF_KIND[kind] },
        ...(kind === 'audio' ? { codecOptions: { opusFec: true } } : {}),
      });
      this.#producers.set(kind, producer);
    }
  }

  async #createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const options = await request(this.#socket, 'createTransport', { direction });
    const transportOptions = options as unknown as types.TransportOptions;
    const transport =
      direction === 'send' ? this.#device.createSendTransport(transportOptions) : this.#device.createRecvTransport(transportOptions);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request(this.#socket, 'connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters }).then(
        () => callback(),
        (error: unknown) => errback(error instanceof Error ? error : new Error(String(error))),
      );
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = (appData['source'] as ProducerSource | undefined) ?? SOURCE_OF_KIND[kind];
        request(this.#socket, 'produce', { transportId: transport.id, kind, rtpParameters: rtpParameters, source }).then(
          ({ id }) => callback({ id }),
          (error: unknown) => errback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    }
    // ICE/DTLS "failed" does not recover by itself (no ICE restart without reconnection).
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') this.#shutdown(CONNECTION_LOST.transport);
    });
    return transport;
  }

  async #consume(offer: NewConsumer): Promise<void> {
    const transport = this.#recvTransport;
    if (!transport || this.#closed) throw new Error('No receive transport');
    const consumer = await transport.consume({
      id: offer.id,
      producerId: offer.producerId,
      kind: offer.kind,
      rtpParameters: offer.rtpParameters as unknown as types.RtpParameters,
      appData: { peerId: offer.peerId, source: offer.source },
    });
    if (this.#closed) {
      consumer.close();
      return;
    }
    this.#consumers.set(consumer.id, consumer);
    if (offer.producerPaused) consumer.pause();
    this.remoteStream.addTrack(consumer.track);
    this.#emitRemote();
  }

  #removeConsumer(consumerId: string): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) return;
    this.#consumers.delete(consumerId);
    this.remoteStream.removeTrack(consumer.track);
    consumer.close();
    this.#emitRemote();
  }

  async #setPaused(kind: 'audio' | 'video', paused: boolean): Promise<void> {
    const producer = this.#producers.get(kind);
    for (const track of this.#local.getTracks()) if (track.kind === kind) track.enabled = !paused;
    if (!producer || producer.closed || producer.paused === paused) return;
    if (paused) producer.pause();
    else producer.resume();
    await request(this.#socket, paused ? 'pauseProducer' : 'resumeProducer', { producerId: producer.id });
  }

  #emitRemote(): void {
    for (const listener of this.#remoteListeners) {
      try {
        listener(this.remoteStream);
      } catch {
        // A listener's failure must not break media handling.
      }
    }
  }

  /** Closes everything once; `reason` is given when the close was not asked for by the page. */
  #shutdown(reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const consumer of this.#consumers.values()) {
      this.remoteStream.removeTrack(consumer.track);
      consumer.close();
    }
    this.#consumers.clear();
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    this.#sendTransport?.close();
    this.#recvTransport?.close();
    this.#socket.removeAllListeners();
    this.#socket.disconnect();
    for (const track of this.#local.getTracks()) track.stop();
    if (reason !== undefined) {
      for (const listener of this.#closedListeners) {
        try {
          listener(reason);
        } catch {
          // Listeners must not stop the others from hearing about it.
        }
      }
    }
    this.#closedListeners.clear();
    this.#remoteListeners.clear();
  }
}
