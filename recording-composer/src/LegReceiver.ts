/**
 * One recorded leg's UDP socket: RTP and RTCP from the SFU's tap arrive here (rtcp-mux).
 * Packets are put in order by a jitter buffer and handed on with the *epoch* they belong
 * to: one epoch per SSRC (a peer that reloads comes back with a new producer, hence a new
 * SSRC on the same leg). Each epoch keeps what places its RTP timestamps in time:
 * - `arrivalBaseMs`: the composer's clock at the epoch's first timestamp, from the packet
 *   that arrived with the least delay;
 * - `senderReports`: the SFU's (NTP, RTP) pairs for this SSRC, a clock shared by all legs.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { JitterBuffer } from './JitterBuffer.ts';
import { isRtcp, parseRtp, parseSenderReports, unwrap } from './rtp.ts';

/** Opus and the RTP clock of every audio leg: 48 kHz. */
export const AUDIO_CLOCK_RATE = 48000;
/** VP8's RTP clock (RFC 7741): 90 kHz. */
export const VIDEO_CLOCK_RATE = 90000;

export interface LegPacket {
  ssrc: number;
  seq: number;
  /** Extended RTP timestamp. */
  ts: number;
  marker: boolean;
  payload: Buffer;
  arrivalMs: number;
}

export interface Epoch {
  ssrc: number;
  /** RTP clock rate of the epoch's timestamps. */
  clockRate: number;
  firstTs: number;
  arrivalBaseMs: number;
  senderReports: { ntpMs: number; ts: number }[];
}

export interface LegStats {
  packets: number;
  /** Dropped by the jitter buffer: too late or duplicated. */
  dropped: number;
  senderReports: number;
  malformed: number;
}

export interface LegReceiverOptions {
  ip: string;
  /** The port to bind (a recording resumed after a restart keeps the port the SFU sends to); default any free port. */
  port?: number;
  /** RTP clock rate of the leg: 48000 (audio, the default) or 90000 (video). */
  clockRate?: number;
  holdMs: number;
  now: () => number;
  /** Receives every packet in order, with its epoch. */
  onPacket: (packet: LegPacket, epoch: Epoch) => void;
}

export class LegReceiver {
  readonly #socket: Socket;
  readonly #options: LegReceiverOptions;
  readonly #buffer: JitterBuffer<LegPacket>;
  readonly #epochs = new Map<number, Epoch>();
  readonly #last = new Map<number, { seq: number; ts: number }>();
  readonly #stats: LegStats = { packets: 0, dropped: 0, senderReports: 0, malformed: 0 };
  readonly #clockRate: number;
  /** Where the SFU sends from: RTCP feedback goes back there (the tap's transport accepts it from our port). */
  #sender: { address: string; port: number } | undefined;
  #closed = false;

  private constructor(socket: Socket, options: LegReceiverOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#buffer = new JitterBuffer({ holdMs: options.holdMs });
    this.#clockRate = options.clockRate ?? AUDIO_CLOCK_RATE;
    socket.on('message', (datagram: Buffer, from: { address: string; port: number }) => this.#receive(datagram, from));
  }

  /** Binds `port` (default a fresh one) on `ip`; rejects when it is taken. */
  static async open(options: LegReceiverOptions): Promise<LegReceiver> {
    const socket = createSocket(options.ip.includes(':') ? 'udp6' : 'udp4');
    socket.bind(options.port ?? 0, options.ip);
    try {
      await once(socket, 'listening');
    } catch (error) {
      socket.close();
      throw error;
    }
    return new LegReceiver(socket, options);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Epochs in the order they started. */
  get epochs(): Epoch[] {
    return [...this.#epochs.values()];
  }

  get stats(): LegStats {
    return { ...this.#stats, dropped: this.#buffer.dropped };
  }

  /** Sends RTCP feedback (a key frame request) back to the SFU; false until it has sent something. */
  sendRtcp(packet: Buffer): boolean {
    if (this.#closed || !this.#sender) return false;
    this.#socket.send(packet, this.#sender.port, this.#sender.address);
    return true;
  }

  /** Stops receiving and hands on what the jitter buffer still holds. Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    for (const packet of this.#buffer.flush()) this.#deliver(packet);
  }

  #receive(datagram: Buffer, from: { address: string; port: number }): void {
    if (this.#closed) return;
    const arrivalMs = this.#options.now();
    this.#sender = { address: from.address, port: from.port };
    if (isRtcp(datagram)) {
      for (const report of parseSenderReports(datagram)) {
        const epoch = this.#epochs.get(report.ssrc);
        const last = this.#last.get(report.ssrc);
        if (!epoch || !last) continue;
        epoch.senderReports.push({ ntpMs: report.ntpMs, ts: unwrap(report.rtpTimestamp, last.ts, 32) });
        this.#stats.senderReports++;
      }
      return;
    }
    const rtp = parseRtp(datagram);
    if (!rtp || rtp.payload.length === 0) {
      this.#stats.malformed++;
      return;
    }
    const last = this.#last.get(rtp.ssrc);
    const seq = unwrap(rtp.sequence, last?.seq, 16);
    const ts = unwrap(rtp.timestamp, last?.ts, 32);
    this.#last.set(rtp.ssrc, { seq: Math.max(seq, last?.seq ?? seq), ts: Math.max(ts, last?.ts ?? ts) });
    let epoch = this.#epochs.get(rtp.ssrc);
    if (!epoch) {
      epoch = { ssrc: rtp.ssrc, clockRate: this.#clockRate, firstTs: ts, arrivalBaseMs: arrivalMs, senderReports: [] };
      this.#epochs.set(rtp.ssrc, epoch);
    }
    // The least-delayed packet tells best when the epoch's first sample was sent.
    epoch.arrivalBaseMs = Math.min(epoch.arrivalBaseMs, arrivalMs - ((ts - epoch.firstTs) * 1000) / this.#clockRate);
    this.#stats.packets++;
    for (const packet of this.#buffer.push({ ssrc: rtp.ssrc, seq, ts, marker: rtp.marker, payload: Buffer.from(rtp.payload), arrivalMs }))
      this.#deliver(packet);
  }

  #deliver(packet: LegPacket): void {
    const epoch = this.#epochs.get(packet.ssrc);
    if (epoch) this.#options.onPacket(packet, epoch);
  }
}
