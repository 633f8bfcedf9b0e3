/**
 * VP8 in RTP (RFC 7741): the payload descriptor in front of each packet's data, and what the
 * first bytes of a frame say (key frame, picture size; RFC 6386 §9.1).
 */

export interface Vp8Descriptor {
  /** S bit: this packet starts a VP8 partition. */
  start: boolean;
  /** Partition index: a frame starts at S=1 with partition 0. */
  partition: number;
  /** Bytes of descriptor before the VP8 data. */
  size: number;
}

/** Null when the descriptor is cut short (a malformed packet). */
export function parseVp8Descriptor(payload: Uint8Array): Vp8Descriptor | null {
  const first = payload[0];
  if (first === undefined) return null;
  let size = 1;
  if (first & 0x80) {
    // X: an extension byte says which optional fields follow (I, L, T/K).
    const ext = payload[size++];
    if (ext === undefined) return null;
    if (ext & 0x80) {
      const picture = payload[size++];
      if (picture === undefined) return null;
      if (picture & 0x80) size++; // M: 15-bit picture id
    }
    if (ext & 0x40) size++; // L: TL0PICIDX
    if (ext & 0x30) size++; // T or K: TID/Y/KEYIDX
  }
  if (size > payload.length) return null;
  return { start: (first & 0x10) !== 0, partition: first & 0x07, size };
}

export interface Vp8FrameInfo {
  keyframe: boolean;
  /** Picture size, from a key frame only. */
  width?: number;
  height?: number;
}

/** Reads a frame's header: the P bit (0 = key frame) and, for a key frame, its start code and size. */
export function vp8FrameInfo(frame: Uint8Array): Vp8FrameInfo | null {
  const first = frame[0];
  if (first === undefined) return null;
  if ((first & 0x01) !== 0) return { keyframe: false };
  if (frame.length < 10 || frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return null;
  const width = ((frame[6] ?? 0) | ((frame[7] ?? 0) << 8)) & 0x3fff;
  const height = ((frame[8] ?? 0) | ((frame[9] ?? 0) << 8)) & 0x3fff;
  return { keyframe: true, width, height };
}
