/**
 * Rebuilds VP8 frames from a video leg's packets, in sequence order (RFC 7741 §4): a frame is
 * the packets sharing one RTP timestamp, from the one that starts partition 0 (S=1, PID=0) to
 * the one with the marker bit. Loss is decided from sequence numbers:
 * - a frame missing a packet (a sequence gap, a new timestamp before the marker, a middle
 *   packet without its start) cannot be decoded: it is dropped;
 * - every frame after a loss may refer to what was lost, so frames are dropped until the next
 *   key frame, and the owner is told to ask the sender for one (`onKeyframeNeeded`).
 * A leg starts waiting for a key frame, and so does each new epoch (a new SSRC).
 */
import type { Epoch, LegPacket } from './LegReceiver.ts';
import { parseVp8Descriptor, vp8FrameInfo } from './vp8.ts';

export interface Vp8Frame {
  epoch: Epoch;
  /** Extended RTP timestamp (90 kHz). */
  ts: number;
  data: Buffer;
  keyframe: boolean;
  width?: number;
  height?: number;
}

export interface Vp8AssemblerStats {
  frames: number;
  keyframes: number;
  /** Frames with a lost packet. */
  broken: number;
  /** Whole frames dropped while waiting for a key frame. */
  skipped: number;
}

export class Vp8FrameAssembler {
  readonly #onFrame: (frame: Vp8Frame) => void;
  readonly #onKeyframeNeeded: (ssrc: number) => void;
  #epoch: Epoch | undefined;
  #nextSeq: number | undefined;
  /** The frame being collected: its timestamp and data so far. */
  #ts: number | undefined;
  #parts: Buffer[] = [];
  #broken = false;
  #waitingForKeyframe = true;
  readonly stats: Vp8AssemblerStats = { frames: 0, keyframes: 0, broken: 0, skipped: 0 };

  constructor(onFrame: (frame: Vp8Frame) => void, onKeyframeNeeded: (ssrc: number) => void) {
    this.#onFrame = onFrame;
    this.#onKeyframeNeeded = onKeyframeNeeded;
  }

  add(packet: LegPacket, epoch: Epoch): void {
    if (epoch !== this.#epoch) {
      this.#abandon();
      this.#epoch = epoch;
      this.#nextSeq = undefined;
      this.#waitingForKeyframe = true;
    }
    const lost = this.#nextSeq !== undefined && packet.seq !== this.#nextSeq;
    this.#nextSeq = packet.seq + 1;
    if (lost) {
      this.#broken ||= this.#ts !== undefined;
      // A frame may have gone whole: what follows may refer to it.
      this.#loss();
    }
    if (this.#ts !== undefined && packet.ts !== this.#ts) {
      // The frame's last packet (the marker) never came.
      this.#broken = true;
      this.#finishFrame();
    }
    const descriptor = parseVp8Descriptor(packet.payload);
    if (!descriptor) {
      this.#broken ||= this.#ts !== undefined;
      return;
    }
    if (this.#ts === undefined) {
      if (!descriptor.start || descriptor.partition !== 0) {
        // The middle of a frame whose first packet was lost.
        this.#loss();
        return;
      }
      this.#ts = packet.ts;
      this.#parts = [];
    }
    this.#parts.push(packet.payload.subarray(descriptor.size));
    if (packet.marker) this.#finishFrame();
  }

  /** Drops a frame still waiting for its last packet (the end of the leg or of an epoch). */
  flush(): void {
    this.#abandon();
  }

  #abandon(): void {
    if (this.#ts !== undefined) {
      this.#broken = true;
      this.#finishFrame();
    }
  }

  #loss(): void {
    this.#waitingForKeyframe = true;
    if (this.#epoch) this.#onKeyframeNeeded(this.#epoch.ssrc);
  }

  #finishFrame(): void {
    const ts = this.#ts;
    const epoch = this.#epoch;
    const data = Buffer.concat(this.#parts);
    const broken = this.#broken;
    this.#ts = undefined;
    this.#parts = [];
    this.#broken = false;
    if (ts === undefined || !epoch) return;
    const info = broken ? null : vp8FrameInfo(data);
    if (!info) {
      this.stats.broken++;
      this.#loss();
      return;
    }
    if (this.#waitingForKeyframe && !info.keyframe) {
      this.stats.skipped++;
      this.#onKeyframeNeeded(epoch.ssrc);
      return;
    }
    if (info.keyframe) {
      this.#waitingForKeyframe = false;
      this.stats.keyframes++;
    }
    this.stats.frames++;
    this.#onFrame({ epoch, ts, data, ...info });
  }
}
