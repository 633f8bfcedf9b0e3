/**
 * One participant's video leg: its UDP socket (a LegReceiver at 90 kHz), VP8 frames rebuilt
 * from it, and the frames spooled to disk as they come (only their index stays in memory, so
 * a long call does not grow the heap). When a frame is lost the leg asks the SFU for a key
 * frame with an RTCP PLI sent back through the tap's transport (the SFU's consumer passes it to
 * the participant's producer), at most every `KEYFRAME_REQUEST_MS`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { LegReceiver, VIDEO_CLOCK_RATE, type Epoch } from './LegReceiver.ts';
import { pliPacket } from './rtp.ts';
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
  holdMs: number;
  now: () => number;
  /** Where the frames are spooled (a file in the recording's spool). */
  framesPath: string;
}

export class VideoLeg {
  readonly receiver: LegReceiver;
  readonly frames: SpooledFrame[] = [];
  readonly #assembler: Vp8FrameAssembler;
  readonly #now: () => number;
  readonly #path: string;
  #stream: WriteStream | undefined;
  #bytes = 0;
  #lastRequestMs = -Infinity;
  /** Key frame requests sent. */
  keyframeRequests = 0;
  width = 0;
  height = 0;

  private constructor(receiver: LegReceiver, options: VideoLegOptions) {
    this.receiver = receiver;
    this.#assembler = new Vp8FrameAssembler(
      (frame) => this.#spool(frame.epoch, frame.ts, frame.keyframe, frame.data, frame.width, frame.height),
      (ssrc) => this.#requestKeyframe(ssrc),
    );
    this.#now = options.now;
    this.#path = options.framesPath;
  }

  static async open(options: VideoLegOptions): Promise<VideoLeg> {
    // Packets wait in the receiver's jitter buffer, so none is delivered before the leg exists.
    const sink: { assembler?: Vp8FrameAssembler } = {};
    const receiver = await LegReceiver.open({
      ip: options.ip,
      holdMs: options.holdMs,
      now: options.now,
      clockRate: VIDEO_CLOCK_RATE,
      onPacket: (packet, epoch) => sink.assembler?.add(packet, epoch),
    });
    const leg = new VideoLeg(receiver, options);
    sink.assembler = leg.#assembler;
    return leg;
  }

  get stats(): Vp8AssemblerStats & { keyframeRequests: number } {
    return { ...this.#assembler.stats, keyframeRequests: this.keyframeRequests };
  }

  /** Stops receiving and finishes the spool. Safe twice. */
  async close(): Promise<void> {
    this.receiver.close();
    this.#assembler.flush();
    const stream = this.#stream;
    if (stream && !stream.writableEnded) {
      stream.end();
      await finished(stream);
    }
  }

  /** Reads the spooled frames in order, a chunk of the spool at a time. */
  async *read(): AsyncGenerator<{ frame: SpooledFrame; data: Buffer }> {
    if (this.frames.length === 0) return;
    const file = await open(this.#path, 'r');
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
    this.#stream ??= createWriteStream(this.#path, { flags: 'wx' });
    this.#stream.write(data);
    this.frames.push({ epoch, ts, keyframe, offset: this.#bytes, size: data.length });
    this.#bytes += data.length;
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
