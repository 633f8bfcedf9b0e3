/**
 * One participant's video leg: its UDP socket (a LegReceiver at 90 kHz), VP8 frames rebuilt
 * from it, and the frames spooled to disk as they come (only their index stays in memory, so
 * a long call does not grow the heap). When a frame is lost the leg asks the SFU for a key
 * frame with an RTCP PLI sent back through the tap's transport (the SFU's consumer passes it to
 * the participant's producer), at most every `KEYFRAME_REQUEST_MS`.
 *
 * The spool (`<role>.vp8`, SpoolRecords) holds each frame with what places it in time: its
 * epoch (SSRC, first timestamp, the composer's clock at that timestamp) and its RTP timestamp.
 * A composer killed mid-call gets the frames back from it (`resume`): the epochs before the
 * kill come back without their Sender Reports, so epoch-clock.ts places them by the composer's
 * clock (moved onto the SFU's by the offset the epochs after the restart show).
 */
import { open } from 'node:fs/promises';
import { LegReceiver, VIDEO_CLOCK_RATE, type Epoch } from './LegReceiver.ts';
import { pliPacket } from './rtp.ts';
import { SpoolRecords } from './SpoolRecords.ts';
import { Vp8FrameAssembler, type Vp8AssemblerStats } from './Vp8FrameAssembler.ts';

/** How often a leg waiting for a key frame asks again (the sender may have missed the request). */
const KEYFRAME_REQUEST_MS = 500;

export interface SpooledFrame {
  epoch: Epoch;
  ts: number;
  keyframe: boolean;
  offset: number;
  size: number;
}

export interface VideoLegOptions {
  ip: string;
  /** The port to bind (a resumed leg keeps the port the SFU sends to); default any free port. */
  port?: number;
  holdMs: number;
  now: () => number;
  /** Where the frames are spooled (a file in the recording's spool). */
  framesPath: string;
}

/** A frame record: flags (bit 0: key frame), width, height, SSRC, epoch's first ts, epoch's arrival base, ts, then the frame. */
const FRAME_HEADER = 1 + 2 + 2 + 4 + 8 + 8 + 8;

export class VideoLeg {
  readonly receiver: LegReceiver;
  readonly frames: SpooledFrame[] = [];
  /** Epochs of the frames spooled before a restart (no Sender Reports: see the module comment). */
  readonly #restored: Epoch[] = [];
  readonly #assembler: Vp8FrameAssembler;
  readonly #now: () => number;
  readonly #spoolFile: SpoolRecords;
  #lastRequestMs = -Infinity;
  /** Key frame requests sent. */
  keyframeRequests = 0;
  width = 0;
  height = 0;

  private constructor(receiver: LegReceiver, spool: SpoolRecords, options: VideoLegOptions) {
    this.receiver = receiver;
    this.#assembler = new Vp8FrameAssembler(
      (frame) => this.#spool(frame.epoch, frame.ts, frame.keyframe, frame.data, frame.width, frame.height),
      (ssrc) => this.#requestKeyframe(ssrc),
    );
    this.#now = options.now;
    this.#spoolFile = spool;
  }

  static async open(options: VideoLegOptions, spool = SpoolRecords.create(options.framesPath)): Promise<VideoLeg> {
    // Packets wait in the receiver's jitter buffer, so none is delivered before the leg exists.
    const sink: { assembler?: Vp8FrameAssembler } = {};
    const receiver = await LegReceiver.open({
      ip: options.ip,
      port: options.port,
      holdMs: options.holdMs,
      now: options.now,
      clockRate: VIDEO_CLOCK_RATE,
      onPacket: (packet, epoch) => sink.assembler?.add(packet, epoch),
    });
    const leg = new VideoLeg(receiver, spool, options);
    sink.assembler = leg.#assembler;
    return leg;
  }

  /**
   * A leg an earlier run of the composer was recording: the frames it spooled (cut back to the
   * last whole record) and the same port. The assembler starts waiting for a key frame, as any
   * new leg does, and asks for one (PLI) with the first frame it must skip.
   */
  static async resume(options: VideoLegOptions & { port: number }): Promise<{ leg: VideoLeg; cutBytes: number }> {
    const { file, records, cutBytes } = await SpoolRecords.reopen(options.framesPath);
    const leg = await VideoLeg.open(options, file);
    const epochs = new Map<string, Epoch>();
    for (const { body, offset } of records) {
      if (body.length < FRAME_HEADER) continue;
      const ssrc = body.readUInt32BE(5);
      const firstTs = body.readDoubleBE(9);
      const arrivalBaseMs = body.readDoubleBE(17);
      const key = `${ssrc}/${firstTs}`;
      let epoch = epochs.get(key);
      if (!epoch) {
        epoch = { ssrc, clockRate: VIDEO_CLOCK_RATE, firstTs, arrivalBaseMs, senderReports: [] };
        epochs.set(key, epoch);
        leg.#restored.push(epoch);
      }
      // The receiver's estimate only gets better (earlier) as packets come: the last one holds.
      epoch.arrivalBaseMs = Math.min(epoch.arrivalBaseMs, arrivalBaseMs);
      const keyframe = ((body[0] ?? 0) & 1) === 1;
      leg.frames.push({ epoch, ts: body.readDoubleBE(25), keyframe, offset: offset + FRAME_HEADER, size: body.length - FRAME_HEADER });
      if (leg.width === 0 && body.readUInt16BE(1) > 0) {
        leg.width = body.readUInt16BE(1);
        leg.height = body.readUInt16BE(3);
      }
    }
    return { leg, cutBytes };
  }

  /** Every epoch of the leg's frames: those restored from before a restart, then the receiver's. */
  get epochs(): Epoch[] {
    return [...this.#restored, ...this.receiver.epochs];
  }

  get stats(): Vp8AssemblerStats & { keyframeRequests: number } {
    return { ...this.#assembler.stats, keyframeRequests: this.keyframeRequests };
  }

  /** Stops receiving and finishes the spool. Safe twice. */
  close(): Promise<void> {
    this.receiver.close();
    this.#assembler.flush();
    this.#spoolFile.close();
    return Promise.resolve();
  }

  /** Reads the spooled frames in order, a chunk of the spool at a time. */
  async *read(): AsyncGenerator<{ frame: SpooledFrame; data: Buffer }> {
    if (this.frames.length === 0) return;
    const file = await open(this.#spoolFile.path, 'r');
    try {
      for (const frame of this.frames) {
        const data = Buffer.alloc(frame.size);
        await file.read(data, 0, frame.size, frame.offset);
        yield { frame, data };
      }
    } finally {
      await file.close();
    }
  }

  #spool(epoch: Epoch, ts: number, keyframe: boolean, data: Buffer, width?: number, height?: number): void {
    const header = Buffer.alloc(FRAME_HEADER);
    header.writeUInt8(keyframe ? 1 : 0, 0);
    header.writeUInt16BE(width ?? 0, 1);
    header.writeUInt16BE(height ?? 0, 3);
    header.writeUInt32BE(epoch.ssrc >>> 0, 5);
    header.writeDoubleBE(epoch.firstTs, 9);
    header.writeDoubleBE(epoch.arrivalBaseMs, 17);
    header.writeDoubleBE(ts, 25);
    const offset = this.#spoolFile.append(Buffer.concat([header, data]));
    this.frames.push({ epoch, ts, keyframe, offset: offset + FRAME_HEADER, size: data.length });
    if (width && height && this.width === 0) {
      this.width = width;
      this.height = height;
    }
  }

  #requestKeyframe(ssrc: number): void {
    const now = this.#now();
    if (now - this.#lastRequestMs < KEYFRAME_REQUEST_MS) return;
    if (this.receiver.sendRtcp(pliPacket(ssrc))) {
      this.#lastRequestMs = now;
      this.keyframeRequests++;
    }
  }
}
