/**
 * Recording capture (SPEC §13): a tap sends each recorded leg — one participant's audio (or
 * video) producer — to the recording composer as plain RTP through its own PlainTransport,
 * RTCP included, so the composer can put every leg on the SFU's clock with the consumers'
 * Sender Reports. A leg is keyed by peer id and kind, not by producer: a peer that reloads
 * produces anew and the new producer is consumed on the same leg transport (the composer
 * sees a new SSRC on the same port and keeps one file).
 *
 * `RoomRecordings` is the room's set of taps; the Room feeds it every producer and closes it.
 */
import type { RecordingLegTarget, RecordingTapStart, RecordingTapSummary } from '@cc/contracts';
import { SfuError } from './errors.ts';
import type { Logger } from './logger.ts';
import { createRecordingTransport, onClosed, type Consumer, type PlainTransport, type Producer, type Router } from './mediasoup-adapter.ts';

/** Taps per room: a recording per agent segment, plus room for an overlap during a transfer. */
const MAX_TAPS_PER_ROOM = 4;

interface Leg {
  target: RecordingLegTarget;
  transport: PlainTransport;
  consumer: Consumer | undefined;
}

export interface ProducerOfPeer {
  peerId: string;
  producer: Producer;
}

export class RecordingTap {
  readonly id: string;
  readonly #router: Router;
  readonly #logger: Logger;
  readonly #legs: Leg[];
  #closed = false;

  private constructor(id: string, router: Router, legs: Leg[], logger: Logger) {
    this.id = id;
    this.#router = router;
    this.#legs = legs;
    this.#logger = logger;
  }

  /** Opens one transport per leg, connected to its target; producers are added afterwards. */
  static async open(router: Router, listenIp: string, request: RecordingTapStart, logger: Logger): Promise<RecordingTap> {
    const legs: Leg[] = [];
    try {
      for (const target of request.legs) {
        legs.push({ target, transport: await createRecordingTransport(router, listenIp, target), consumer: undefined });
      }
    } catch (error) {
      for (const leg of legs) leg.transport.close();
      throw error;
    }
    return new RecordingTap(request.recordingId, router, legs, logger.child({ recordingId: request.recordingId }));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts capturing `producer` when it belongs to one of this tap's legs; a newer producer replaces an older one. */
  async addProducer({ peerId, producer }: ProducerOfPeer): Promise<void> {
    const leg = this.#legs.find((l) => l.target.peerId === peerId && l.target.kind === producer.kind);
    if (!leg || this.#closed || producer.closed) return;
    const consumer = await leg.transport.consume({
      producerId: producer.id,
      // No header extensions: without transport-cc/abs-send-time mediasoup runs no bandwidth
      // estimation on the leg, so it sends no probation packets (SSRC 1234) into the composer's
      // video legs, where a second SSRC would look like a new camera and cost a key frame.
      rtpCapabilities: { ...this.#router.rtpCapabilities, headerExtensions: [] },
      // Not paused: mediasoup then asks a video producer for a key frame at once.
      paused: false,
    });
    if (this.#closed || leg.transport.closed) {
      consumer.close();
      return;
    }
    // The old producer (a reloaded page's) is usually closed already; never keep two on one leg.
    leg.consumer?.close();
    leg.consumer = consumer;
    onClosed(consumer, () => {
      if (leg.consumer === consumer) leg.consumer = undefined;
    });
    this.#logger.info({ peerId, kind: producer.kind, producerId: producer.id, port: leg.target.port }, 'recording leg captured');
  }

  summary(): RecordingTapSummary {
    return {
      recordingId: this.id,
      legs: this.#legs.map(({ target, consumer }) => ({
        ...target,
        producerId: consumer?.producerId ?? null,
        ssrc: consumer?.rtpParameters.encodings?.[0]?.ssrc ?? null,
        payloadType: consumer?.rtpParameters.codecs[0]?.payloadType ?? null,
      })),
    };
  }

  /** Closes every leg transport (and so its consumer). Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const leg of this.#legs) leg.transport.close();
    this.#logger.info('recording tap closed');
  }
}

export interface RoomRecordingsOptions {
  router: Router;
  /** Local IP the leg transports send from. */
  listenIp: string;
  logger: Logger;
  /** Every live producer of the room, for a tap that starts mid-call. */
  producers: () => ProducerOfPeer[];
}

export class RoomRecordings {
  readonly #options: RoomRecordingsOptions;
  readonly #taps = new Map<string, RecordingTap>();
  #closed = false;

  constructor(options: RoomRecordingsOptions) {
    this.#options = options;
  }

  /** Starts a tap, or returns the running one with that id (a repeated request is harmless). */
  async start(request: RecordingTapStart): Promise<{ tap: RecordingTap; created: boolean }> {
    const existing = this.#taps.get(request.recordingId);
    if (existing) return { tap: existing, created: false };
    if (this.#closed) throw new SfuError('not_found', 'The room is closed');
    if (this.#taps.size >= MAX_TAPS_PER_ROOM) throw new SfuError('conflict', 'Too many recordings in this room');
    const { router, listenIp, logger, producers } = this.#options;
    const tap = await RecordingTap.open(router, listenIp, request, logger);
    if (this.#closed || this.#taps.has(request.recordingId)) {
      tap.close();
      throw new SfuError('conflict', 'The recording was started or the room closed meanwhile');
    }
    this.#taps.set(tap.id, tap);
    await Promise.all(producers().map((entry) => this.#feed(tap, entry)));
    return { tap, created: true };
  }

  get(recordingId: string): RecordingTap | undefined {
    return this.#taps.get(recordingId);
  }

  /** Stops a tap; false when there was none. */
  stop(recordingId: string): boolean {
    const tap = this.#taps.get(recordingId);
    if (!tap) return false;
    this.#taps.delete(recordingId);
    tap.close();
    return true;
  }

  /** Called by the room for every new producer: running taps capture it when it is one of their legs. */
  producerAdded(entry: ProducerOfPeer): void {
    for (const tap of this.#taps.values()) void this.#feed(tap, entry);
  }

  /** Closes every tap. Safe twice. */
  close(): void {
    this.#closed = true;
    for (const tap of this.#taps.values()) tap.close();
    this.#taps.clear();
  }

  /** A failure to capture one leg is logged and must not fail the call or the other legs. */
  async #feed(tap: RecordingTap, entry: ProducerOfPeer): Promise<void> {
    try {
      await tap.addProducer(entry);
    } catch (error) {
      this.#options.logger.warn({ err: error, recordingId: tap.id, peerId: entry.peerId }, 'could not capture a recording leg');
    }
  }
}
