/**
 * One media room per call. Owns its router and its peers (and through them every transport,
 * producer and consumer). Peers are answered here: who may produce what, and the fan-out of
 * every producer to every other joined peer as a consumer (created paused, resumed after the
 * client acknowledged `newConsumer`, as mediasoup-demo does, so no early RTP is lost).
 */
import { EventEmitter } from 'node:events';
import type { JoinClaims } from '@cc/contracts/join-token';
import {
  PLAYBACK_PEER_ID,
  type PeerInfo,
  type PlaybackProgram,
  type PlaybackStarted,
  type ProducerSource,
  type RoomStats,
  type RoomSummary,
  type TransportOptions,
} from '@cc/contracts';
import { SfuError } from './errors.ts';
import type { Logger } from './logger.ts';
import {
  createWebRtcTransport,
  onClosed,
  onProducerPauseChange,
  transportOptions,
  type DtlsParameters,
  type Producer,
  type Router,
  type RtpCapabilities,
  type RtpParameters,
  type WebRtcListen,
} from './mediasoup-adapter.ts';
import { Peer, type PeerChannel, type TransportDirection } from './Peer.ts';
import type { Playback } from './playback/Playback.ts';
import { RoomPlaybacks, type PlaybackDeps } from './playback/RoomPlaybacks.ts';
import { RoomRecordings } from './RecordingTap.ts';

export interface RoomOptions {
  id: string;
  router: Router;
  listen: WebRtcListen;
  /** A room without peers closes itself after this long. */
  idleMs: number;
  logger: Logger;
  /** Tells mediasoup's validation errors (client's fault: bad_request) from real failures. */
  isParameterError: (error: unknown) => boolean;
  /** Prompts and the shared clock for server-played audio. */
  playback: PlaybackDeps;
}

export type RoomEvents = {
  /** The room closed (emitted once); the owner forgets it. */
  '@close': [reason: string];
};

const SOURCE_KIND: Record<ProducerSource, 'audio' | 'video'> = { microphone: 'audio', camera: 'video', screen: 'video' };

export class Room extends EventEmitter<RoomEvents> {
  readonly id: string;
  readonly #router: Router;
  readonly #listen: WebRtcListen;
  readonly #idleMs: number;
  readonly #logger: Logger;
  readonly #isParameterError: (error: unknown) => boolean;
  readonly #peers = new Map<string, Peer>();
  /** Server-played audio per participant id. */
  readonly #playbacks: RoomPlaybacks;
  /** Participants on hold: their consumers and the others' consumers of them carry nothing. */
  readonly #isolated = new Set<string>();
  /** The newest request version seen per participant (playback and hold). */
  readonly #versions = new Map<string, number>();
  /** Recording taps (SPEC §13): fed every producer, closed with the room. */
  readonly recordings: RoomRecordings;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: RoomOptions) {
    super();
    this.id = options.id;
    this.#router = options.router;
    this.#listen = options.listen;
    this.#idleMs = options.idleMs;
    this.#logger = options.logger.child({ roomId: options.id });
    this.#isParameterError = options.isParameterError;
    this.#playbacks = new RoomPlaybacks(options.router, options.playback);
    this.recordings = new RoomRecordings({
      router: this.#router,
      listenIp: this.#listen.listenIp,
      logger: this.#logger,
      producers: () => [...this.#peers.values()].flatMap((p) => p.producers().map(({ producer }) => ({ peerId: p.id, producer }))),
    });
    // The router dies with its worker: the room cannot carry media any more.
    onClosed(this.#router, () => this.close('media_failure'));
    this.#armIdleTimer();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  get rtpCapabilities(): RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  /** Admits a peer; an existing peer with the same id (a page reload) is replaced. */
  addPeer(claims: JoinClaims, channel: PeerChannel): Peer {
    if (this.#closed) throw new SfuError('not_found', 'The room is closed');
    const previous = this.#peers.get(claims.sub);
    if (previous) {
      this.#logger.info({ peerId: previous.id }, 'peer replaced by a new connection');
      this.removePeer(previous);
      previous.channel.disconnect();
    }
    const peer = new Peer(claims, channel);
    this.#peers.set(peer.id, peer);
    this.#disarmIdleTimer();
    this.#logger.info({ peerId: peer.id, role: peer.role }, 'peer connected');
    return peer;
  }

  /** Closes the peer and tells the others; ignored when the peer was already replaced or removed. */
  removePeer(peer: Peer): void {
    if (this.#peers.get(peer.id) !== peer) return;
    this.#peers.delete(peer.id);
    const wasJoined = peer.joined;
    peer.close();
    this.#logger.info({ peerId: peer.id }, 'peer left');
    if (wasJoined) for (const other of this.#joinedPeers()) other.channel.notify('peerLeft', { peerId: peer.id });
    if (this.#peers.size === 0) this.#armIdleTimer();
  }

  async createTransport(peer: Peer, direction: TransportDirection): Promise<TransportOptions> {
    this.#assertPeer(peer);
    const transport = await createWebRtcTransport(this.#router, this.#listen);
    if (peer.closed) {
      transport.close();
      throw new SfuError('not_found', 'The peer left');
    }
    peer.addTransport(transport, direction);
    // A peer that joined before creating its receive transport gets its consumers now.
    if (direction === 'recv' && peer.joined) this.#consumeAllFor(peer);
    return transportOptions(transport);
  }

  async connectTransport(peer: Peer, transportId: string, dtlsParameters: Record<string, unknown>): Promise<void> {
    this.#assertPeer(peer);
    const entry = peer.getTransport(transportId);
    if (!entry) throw new SfuError('not_found', 'No such transport');
    await this.#clientCall(
      () => entry.transport.connect({ dtlsParameters: dtlsParameters as unknown as DtlsParameters }),
      'Invalid DTLS parameters',
    );
  }

  async join(peer: Peer, rtpCapabilities: Record<string, unknown>): Promise<{ peers: PeerInfo[] }> {
    this.#assertPeer(peer);
    if (peer.joined) throw new SfuError('conflict', 'Already joined');
    const others = this.#joinedPeers();
    peer.markJoined(rtpCapabilities);
    for (const other of others) other.channel.notify('peerJoined', peer.info());
    this.#consumeAllFor(peer);
    return { peers: others.map((other) => other.info()) };
  }

  async produce(
    peer: Peer,
    request: { transportId: string; kind: 'audio' | 'video'; rtpParameters: Record<string, unknown>; source: ProducerSource },
  ): Promise<{ id: string }> {
    this.#assertPeer(peer);
    if (!peer.publish.has(request.kind)) throw new SfuError('forbidden', `This participant may not send ${request.kind}`);
    if (SOURCE_KIND[request.source] !== request.kind)
      throw new SfuError('bad_request', `A ${request.source} carries ${SOURCE_KIND[request.source]}`);
    // One live producer per source keeps a misbehaving client from piling up producers.
    if (peer.producers().some((p) => p.source === request.source))
      throw new SfuError('conflict', `A ${request.source} is already being sent`);
    const entry = peer.getTransport(request.transportId);
    if (!entry || entry.direction !== 'send') throw new SfuError('not_found', 'No such send transport');
    const producer = await this.#clientCall(
      () => entry.transport.produce({ kind: request.kind, rtpParameters: request.rtpParameters as unknown as RtpParameters }),
      'Invalid RTP parameters',
    );
    peer.addProducer(producer, request.source);
    this.#logger.info({ peerId: peer.id, producerId: producer.id, kind: producer.kind, source: request.source }, 'producer created');
    for (const other of this.#joinedPeers()) if (other !== peer) this.#consume(other, peer.id, producer, request.source);
    this.recordings.producerAdded({ peerId: peer.id, producer });
    return { id: producer.id };
  }

  async pauseProducer(peer: Peer, producerId: string): Promise<void> {
    await this.#ownProducer(peer, producerId).pause();
  }

  async resumeProducer(peer: Peer, producerId: string): Promise<void> {
    await this.#ownProducer(peer, producerId).resume();
  }

  async closeProducer(peer: Peer, producerId: string): Promise<void> {
    this.#ownProducer(peer, producerId).close();
  }

  /**
   * Plays a program to one participant (who need not have joined yet: it starts when their
   * consumer exists). Every prompt must already be in the library (`prompt_missing` otherwise).
   */
  async play(peerId: string, program: PlaybackProgram): Promise<PlaybackStarted> {
    if (this.#closed) throw new SfuError('not_found', 'The room is closed');
    if (!this.#fresh(peerId, program.version)) return { introMs: 0, stale: true };
    return this.#playbacks.play(
      peerId,
      program,
      (playback) => {
        const peer = this.#peers.get(peerId);
        if (peer) this.#consumePlayback(peer, playback);
      },
      () => this.#fresh(peerId, program.version),
    );
  }

  /** Silences what is played to this participant, at once. */
  stopPlayback(peerId: string, version?: number): void {
    if (this.#fresh(peerId, version)) this.#playbacks.stop(peerId);
  }

  /** On hold: the participant neither hears the others nor is heard by them (playback still reaches them). */
  async setIsolated(peerId: string, isolated: boolean, version?: number): Promise<void> {
    if (this.#closed) throw new SfuError('not_found', 'The room is closed');
    if (!this.#fresh(peerId, version)) return;
    if (isolated) this.#isolated.add(peerId);
    else this.#isolated.delete(peerId);
    const changes: Promise<void>[] = [];
    for (const peer of this.#peers.values()) {
      for (const consumer of peer.consumers()) {
        const producerPeerId = (consumer.appData as { producerPeerId?: string }).producerPeerId ?? '';
        if (peer.id !== peerId && producerPeerId !== peerId) continue;
        const flows = this.#flows(peer.id, producerPeerId);
        if (flows && consumer.paused) changes.push(consumer.resume());
        if (!flows && !consumer.paused) changes.push(consumer.pause());
      }
    }
    await Promise.all(changes);
  }

  summary(): RoomSummary {
    return {
      roomId: this.id,
      peers: [...this.#peers.values()].map((peer) => ({
        peerId: peer.id,
        role: peer.role,
        producers: peer.producers().map(({ producer }) => ({ id: producer.id, kind: producer.kind, paused: producer.paused })),
      })),
      playbacks: this.#playbacks.summaries(),
      isolated: [...this.#isolated],
    };
  }

  async stats(): Promise<RoomStats> {
    const opaque = (stats: object[]): Record<string, unknown>[] => stats.map((stat) => ({ ...stat }));
    const peers = await Promise.all(
      [...this.#peers.values()].map(async (peer) => ({
        peerId: peer.id,
        transports: await Promise.all(
          peer
            .transports()
            .map(async ({ transport, direction }) => ({ id: transport.id, direction, stats: opaque(await transport.getStats()) })),
        ),
        producers: await Promise.all(
          peer.producers().map(async ({ producer, source }) => ({
            id: producer.id,
            kind: producer.kind,
            source,
            paused: producer.paused,
            stats: opaque(await producer.getStats()),
          })),
        ),
        consumers: await Promise.all(
          peer.consumers().map(async (consumer) => ({
            id: consumer.id,
            kind: consumer.kind,
            producerId: consumer.producerId,
            paused: consumer.paused,
            stats: opaque(await consumer.getStats()),
          })),
        ),
      })),
    );
    return { roomId: this.id, peers };
  }

  /** Tells every peer why, disconnects them and closes the router. Safe twice. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarmIdleTimer();
    this.recordings.close();
    const peers = [...this.#peers.values()];
    this.#peers.clear();
    for (const peer of peers) {
      peer.channel.notify('roomClosed', { reason });
      peer.close();
      peer.channel.disconnect();
    }
    this.#playbacks.close();
    this.#router.close();
    this.#logger.info({ reason }, 'room closed');
    this.emit('@close', reason);
  }

  #assertPeer(peer: Peer): void {
    if (this.#closed || peer.closed || this.#peers.get(peer.id) !== peer) throw new SfuError('not_found', 'Not in this room any more');
  }

  #ownProducer(peer: Peer, producerId: string): Producer {
    this.#assertPeer(peer);
    const entry = peer.getProducer(producerId);
    if (!entry) throw new SfuError('not_found', 'No such producer');
    return entry.producer;
  }

  #joinedPeers(): Peer[] {
    return [...this.#peers.values()].filter((peer) => peer.joined);
  }

  #consumeAllFor(consumerPeer: Peer): void {
    for (const producerPeer of this.#joinedPeers()) {
      if (producerPeer === consumerPeer) continue;
      for (const { producer, source } of producerPeer.producers()) this.#consume(consumerPeer, producerPeer.id, producer, source);
    }
    const playback = this.#playbacks.get(consumerPeer.id);
    if (playback) this.#consumePlayback(consumerPeer, playback);
  }

  #consumePlayback(peer: Peer, playback: Playback): void {
    if (!peer.joined || peer.closed) return;
    this.#consume(peer, PLAYBACK_PEER_ID, playback.producer, 'playback', () => playback.start());
  }

  /** Fire and forget: a failure to feed one peer is logged and must not fail the producer's request. */
  #consume(
    consumerPeer: Peer,
    producerPeerId: string,
    producer: Producer,
    source: ProducerSource | 'playback',
    onFlowing?: () => void,
  ): void {
    this.#createConsumer(consumerPeer, producerPeerId, producer, source, onFlowing).catch((error: unknown) => {
      this.#logger.warn({ err: error, peerId: consumerPeer.id, producerId: producer.id }, 'could not create consumer');
    });
  }

  async #createConsumer(
    consumerPeer: Peer,
    producerPeerId: string,
    producer: Producer,
    source: ProducerSource | 'playback',
    onFlowing?: () => void,
  ): Promise<void> {
    const rtpCapabilities = consumerPeer.rtpCapabilities;
    const transport = consumerPeer.recvTransport();
    if (!rtpCapabilities || !transport || producer.closed) return;
    if (!this.#router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      this.#logger.warn({ peerId: consumerPeer.id, producerId: producer.id }, 'peer cannot decode this producer');
      return;
    }
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities,
      paused: true,
      appData: { producerPeerId },
    });
    consumerPeer.addConsumer(consumer);
    onClosed(consumer, () => {
      if (!consumerPeer.closed) consumerPeer.channel.notify('consumerClosed', { consumerId: consumer.id });
    });
    onProducerPauseChange(consumer, (paused) => {
      if (consumerPeer.closed) return;
      consumerPeer.channel.notify(paused ? 'consumerPaused' : 'consumerResumed', { consumerId: consumer.id });
    });
    try {
      await consumerPeer.channel.requestNewConsumer({
        peerId: producerPeerId,
        producerId: producer.id,
        id: consumer.id,
        kind: consumer.kind,
        rtpParameters: { ...consumer.rtpParameters },
        source,
        producerPaused: consumer.producerPaused,
      });
    } catch (error) {
      consumer.close();
      throw error;
    }
    if (consumer.closed) return;
    if (this.#flows(consumerPeer.id, producerPeerId)) await consumer.resume();
    onFlowing?.();
  }

  /**
   * Whether a request about a participant is as new as the newest seen (and remembers it):
   * requests that overtook each other must not undo a newer one. Unversioned requests always are.
   */
  #fresh(peerId: string, version: number | undefined): boolean {
    if (version === undefined) return true;
    const newest = this.#versions.get(peerId) ?? -1;
    if (version < newest) return false;
    this.#versions.set(peerId, version);
    return true;
  }

  /** Media flows between two participants unless one of them is on hold; playback always flows. */
  #flows(consumerPeerId: string, producerPeerId: string): boolean {
    if (producerPeerId === PLAYBACK_PEER_ID) return true;
    return !this.#isolated.has(consumerPeerId) && !this.#isolated.has(producerPeerId);
  }

  async #clientCall<T>(call: () => Promise<T>, message: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (this.#isParameterError(error)) throw new SfuError('bad_request', `${message}: ${(error as Error).message}`, { cause: error });
      throw error;
    }
  }

  #armIdleTimer(): void {
    this.#disarmIdleTimer();
    if (this.#closed) return;
    this.#idleTimer = setTimeout(() => this.close('idle'), this.#idleMs);
    this.#idleTimer.unref();
  }

  #disarmIdleTimer(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
