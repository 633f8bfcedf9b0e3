/**
 * One media room per call. Owns its router and its peers (and through them every transport,
 * producer and consumer). Peers are answered here: who may produce what, and the fan-out of
 * every producer to every other joined peer as a consumer (created paused, resumed after the
 * client acknowledged `newConsumer`, as mediasoup-demo does, so no early RTP is lost).
 */
import { EventEmitter } from 'node:events';
import type { JoinClaims } from '@cc/contracts/join-token';
import type { PeerInfo, ProducerSource, RoomStats, RoomSummary, TransportOptions } from '@cc/contracts';
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
    for (const other of this.#joinedPeers()) if (other !== peer) this.#consume(other, peer, producer, request.source);
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

  summary(): RoomSummary {
    return {
      roomId: this.id,
      peers: [...this.#peers.values()].map((peer) => ({
        peerId: peer.id,
        role: peer.role,
        producers: peer.producers().map(({ producer }) => ({ id: producer.id, kind: producer.kind, paused: producer.paused })),
      })),
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
      for (const { producer, source } of producerPeer.producers()) this.#consume(consumerPeer, producerPeer, producer, source);
    }
  }

  /** Fire and forget: a failure to feed one peer is logged and must not fail the producer's request. */
  #consume(consumerPeer: Peer, producerPeer: Peer, producer: Producer, source: ProducerSource): void {
    this.#createConsumer(consumerPeer, producerPeer, producer, source).catch((error: unknown) => {
      this.#logger.warn({ err: error, peerId: consumerPeer.id, producerId: producer.id }, 'could not create consumer');
    });
  }

  async #createConsumer(consumerPeer: Peer, producerPeer: Peer, producer: Producer, source: ProducerSource): Promise<void> {
    const rtpCapabilities = consumerPeer.rtpCapabilities;
    const transport = consumerPeer.recvTransport();
    if (!rtpCapabilities || !transport || producer.closed) return;
    if (!this.#router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      this.#logger.warn({ peerId: consumerPeer.id, producerId: producer.id }, 'peer cannot decode this producer');
      return;
    }
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
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
        peerId: producerPeer.id,
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
    if (!consumer.closed) await consumer.resume();
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
