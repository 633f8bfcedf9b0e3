/**
 * One participant of a room (an agent or a customer), identified by the join token's `sub`.
 * Owns its WebRTC transports and, through them, its producers and consumers. It never
 * talks to its Room: the Room decides, the Peer holds state and reaches its client through
 * the injected `PeerChannel` (a Socket.IO socket in production).
 */
import { EventEmitter } from 'node:events';
import type { JoinClaims } from '@cc/contracts/join-token';
import type { JoinRole, NewConsumer, PeerInfo, ProducerSource, SfuServerToClientEvents } from '@cc/contracts';
import { onClosed, type Consumer, type Producer, type RtpCapabilities, type WebRtcTransport } from './mediasoup-adapter.ts';

export type TransportDirection = 'send' | 'recv';
type NotifyEvent = Exclude<keyof SfuServerToClientEvents, 'newConsumer'>;

/** How the SFU reaches a peer's client. */
export interface PeerChannel {
  notify<E extends NotifyEvent>(event: E, ...args: Parameters<SfuServerToClientEvents[E]>): void;
  /** Resolves once the client has created the consumer (ack ok); rejects on error or time-out. */
  requestNewConsumer(consumer: NewConsumer): Promise<void>;
  /** Ends the client's connection. */
  disconnect(): void;
}

export interface ProducerEntry {
  producer: Producer;
  source: ProducerSource;
}

export type PeerEvents = {
  /** The peer closed (its own close(), not emitted twice). */
  '@close': [];
};

export class Peer extends EventEmitter<PeerEvents> {
  readonly id: string;
  readonly role: JoinRole;
  readonly displayName: string;
  /** Kinds the join token allows this peer to produce. */
  readonly publish: ReadonlySet<'audio' | 'video'>;
  readonly channel: PeerChannel;
  readonly #transports = new Map<string, { transport: WebRtcTransport; direction: TransportDirection }>();
  readonly #producers = new Map<string, ProducerEntry>();
  readonly #consumers = new Map<string, Consumer>();
  #rtpCapabilities: RtpCapabilities | undefined;
  #closed = false;

  constructor(claims: JoinClaims, channel: PeerChannel) {
    super();
    this.id = claims.sub;
    this.role = claims.role;
    this.displayName = claims.name;
    this.publish = new Set(claims.publish);
    this.channel = channel;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Set by join: the peer consumes only after it announced what it can decode. */
  get rtpCapabilities(): RtpCapabilities | undefined {
    return this.#rtpCapabilities;
  }

  get joined(): boolean {
    return this.#rtpCapabilities !== undefined;
  }

  markJoined(rtpCapabilities: RtpCapabilities): void {
    this.#rtpCapabilities = rtpCapabilities;
  }

  info(): PeerInfo {
    return { peerId: this.id, role: this.role, displayName: this.displayName };
  }

  /** Adds a transport; an older transport of the same direction is closed (one of each per peer). */
  addTransport(transport: WebRtcTransport, direction: TransportDirection): void {
    for (const entry of this.#transports.values()) {
      if (entry.direction === direction) entry.transport.close();
    }
    this.#transports.set(transport.id, { transport, direction });
    onClosed(transport, () => this.#transports.delete(transport.id));
  }

  getTransport(transportId: string): { transport: WebRtcTransport; direction: TransportDirection } | undefined {
    return this.#transports.get(transportId);
  }

  transports(): { transport: WebRtcTransport; direction: TransportDirection }[] {
    return [...this.#transports.values()];
  }

  recvTransport(): WebRtcTransport | undefined {
    for (const entry of this.#transports.values()) if (entry.direction === 'recv') return entry.transport;
    return undefined;
  }

  addProducer(producer: Producer, source: ProducerSource): void {
    this.#producers.set(producer.id, { producer, source });
    onClosed(producer, () => this.#producers.delete(producer.id));
  }

  getProducer(producerId: string): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  producers(): ProducerEntry[] {
    return [...this.#producers.values()];
  }

  addConsumer(consumer: Consumer): void {
    this.#consumers.set(consumer.id, consumer);
    onClosed(consumer, () => this.#consumers.delete(consumer.id));
  }

  consumers(): Consumer[] {
    return [...this.#consumers.values()];
  }

  /** Closes the peer's transports (which close its producers and consumers). Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { transport } of this.#transports.values()) transport.close();
    this.#transports.clear();
    this.#producers.clear();
    this.#consumers.clear();
    this.emit('@close');
  }
}
