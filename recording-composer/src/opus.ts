/**
 * Opus packets as RFC 6716 and RFC 7845 define them: the TOC byte (duration of a packet, so
 * positions can be counted without decoding), self-delimited framing (Appendix B, which lets
 * several streams share one multistream packet), and the Ogg Opus header packets.
 */

/** Samples per 48 kHz frame for each TOC configuration (RFC 6716 §3.1, Table 2). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4] ?? 960; // SILK 10/20/40/60 ms
  if (config < 16) return config % 2 === 0 ? 480 : 960; // hybrid 10/20 ms
  return [120, 240, 480, 960][config % 4] ?? 960; // CELT 2.5/5/10/20 ms
}

/** 48 kHz samples the packet decodes to, or 0 when the packet is malformed. */
export function packetSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const code = toc & 0x03;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frames * frameSamples(toc >> 3);
}

/**
 * A 20 ms CELT packet that decodes to silence (TOC 0xf8, then the range coder's "silence"
 * flag): fills lost or missing time so the file's timeline keeps matching the clock.
 */
export const SILENCE_20MS = Uint8Array.from([0xf8, 0xff, 0xfe]);
export const SAMPLES_20MS = 960;

function frameLength(length: number): number[] {
  // RFC 6716 §3.2.1: one byte below 252, else two bytes: 252 + (len & 3), then (len - first) / 4.
  if (length < 252) return [length];
  const first = 252 + (length & 3);
  return [first, (length - first) >> 2];
}

/** Reads a frame length at `at`: [value, bytes used]. */
function readLength(packet: Uint8Array, at: number): [number, number] {
  const first = packet[at] ?? 0;
  if (first < 252) return [first, 1];
  return [first + 4 * (packet[at + 1] ?? 0), 2];
}

/**
 * The self-delimited form of a standard Opus packet (RFC 6716 Appendix B): the one length a
 * standard packet leaves implicit is written out, so a decoder knows where the next stream's
 * packet starts.
 */
export function toSelfDelimited(packet: Uint8Array): Uint8Array {
  const toc = packet[0];
  if (toc === undefined) throw new RangeError('Empty Opus packet');
  const code = toc & 0x03;
  if (code === 0) return concat([toc], frameLength(packet.length - 1), packet.subarray(1));
  if (code === 1) return concat([toc], frameLength((packet.length - 1) / 2), packet.subarray(1));
  if (code === 2) {
    const [first, used] = readLength(packet, 1);
    const second = packet.length - 1 - used - first;
    return concat(packet.subarray(0, 1 + used), frameLength(second), packet.subarray(1 + used));
  }
  // Code 3: TOC, frame count byte (VBR flag, padding flag, M), padding lengths, then M-1 lengths (VBR).
  const countByte = packet[1] ?? 0;
  const vbr = (countByte & 0x80) !== 0;
  const frames = countByte & 0x3f;
  let at = 2;
  let padding = 0;
  if (countByte & 0x40) {
    for (;;) {
      const value = packet[at++] ?? 0;
      padding += value === 255 ? 254 : value;
      if (value !== 255) break;
    }
  }
  let known = 0;
  if (vbr) {
    for (let i = 0; i < frames - 1; i++) {
      const [length, used] = readLength(packet, at);
      known += length;
      at += used;
    }
  }
  const data = packet.length - at - padding;
  const extra = vbr ? data - known : data / frames;
  return concat(packet.subarray(0, at), frameLength(extra), packet.subarray(at));
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * OpusHead (RFC 7845 §5.1). Mono legs use mapping family 0. The merged file uses family 1
 * with two uncoupled mono streams, stream 0 on the left channel and stream 1 on the right,
 * so each leg's packets are kept as they are.
 * Pre-skip is 0: the legs' first samples are already the call's audio (the browsers' encoders
 * started long before), and both channels share one position so alignment is unaffected.
 */
export function opusHead(layout: 'mono' | 'two_mono_streams'): Uint8Array {
  const stereo = layout === 'two_mono_streams';
  const head = Buffer.alloc(stereo ? 19 + 4 : 19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = stereo ? 2 : 1; // output channels
  head.writeUInt16LE(0, 10); // pre-skip
  head.writeUInt32LE(48000, 12); // input sample rate (informational)
  head.writeInt16LE(0, 16); // output gain
  head[18] = stereo ? 1 : 0; // channel mapping family
  if (stereo) {
    head[19] = 2; // streams
    head[20] = 0; // coupled streams
    head[21] = 0; // left ← stream 0
    head[22] = 1; // right ← stream 1
  }
  return head;
}

/** OpusTags (RFC 7845 §5.2): vendor string and `KEY=value` comments. */
export function opusTags(comments: Record<string, string>): Uint8Array {
  const vendor = Buffer.from('cc-recording-composer', 'utf8');
  const entries = Object.entries(comments).map(([key, value]) => Buffer.from(`${key}=${value}`, 'utf8'));
  const parts: Buffer[] = [Buffer.from('OpusTags', 'latin1'), u32(vendor.length), vendor, u32(entries.length)];
  for (const entry of entries) parts.push(u32(entry.length), entry);
  return Buffer.concat(parts);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value, 0);
  return b;
}

/** The comments of an OpusTags packet (`KEY=value`), or undefined when it is not one. */
export function readOpusTags(packet: Buffer): Record<string, string> | undefined {
  if (packet.length < 16 || packet.toString('latin1', 0, 8) !== 'OpusTags') return undefined;
  let at = 8;
  const vendorLength = packet.readUInt32LE(at);
  at += 4 + vendorLength;
  if (at + 4 > packet.length) return undefined;
  const count = packet.readUInt32LE(at);
  at += 4;
  const comments: Record<string, string> = {};
  for (let i = 0; i < count && at + 4 <= packet.length; i++) {
    const length = packet.readUInt32LE(at);
    const entry = packet.toString('utf8', at + 4, at + 4 + length);
    at += 4 + length;
    const eq = entry.indexOf('=');
    if (eq > 0) comments[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return comments;
}
