/**
 * Just enough RTP (RFC 3550) and RTCP to record: the RTP header fields, and the Sender
 * Reports that pair an RTP timestamp with the sender's clock. RTP and RTCP share one port
 * (rtcp-mux, RFC 5761): RTCP packet types 200..204 sit where RTP's marker+payload type is.
 */
export interface RtpPacket {
  payloadType: number;
  /** Video: the last packet of a frame (RFC 7741 §4.1). */
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

export interface SenderReport {
  ssrc: number;
  /** Sender clock at the report, in milliseconds (NTP format converted; the epoch is the sender's). */
  ntpMs: number;
  rtpTimestamp: number;
}

export function isRtcp(datagram: Buffer): boolean {
  const type = datagram[1] ?? 0;
  return type >= 192 && type <= 223;
}

/** Null for anything that is not a well-formed RTP version 2 packet. */
export function parseRtp(datagram: Buffer): RtpPacket | null {
  if (datagram.length < 12 || ((datagram[0] ?? 0) & 0xc0) !== 0x80) return null;
  const first = datagram[0] ?? 0;
  const csrcCount = first & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (first & 0x10) {
    // Header extension: 16-bit profile, 16-bit length in 32-bit words.
    if (datagram.length < offset + 4) return null;
    offset += 4 + datagram.readUInt16BE(offset + 2) * 4;
  }
  let end = datagram.length;
  if (first & 0x20) end -= datagram[datagram.length - 1] ?? 0; // padding
  if (offset > end) return null;
  return {
    payloadType: (datagram[1] ?? 0) & 0x7f,
    marker: ((datagram[1] ?? 0) & 0x80) !== 0,
    sequence: datagram.readUInt16BE(2),
    timestamp: datagram.readUInt32BE(4),
    ssrc: datagram.readUInt32BE(8),
    payload: datagram.subarray(offset, end),
  };
}

const NTP_FRACTION = 2 ** 32;

/** Every Sender Report in a (compound) RTCP datagram. */
export function parseSenderReports(datagram: Buffer): SenderReport[] {
  const reports: SenderReport[] = [];
  let offset = 0;
  while (offset + 4 <= datagram.length) {
    const length = (datagram.readUInt16BE(offset + 2) + 1) * 4;
    if (((datagram[offset] ?? 0) & 0xc0) !== 0x80 || offset + length > datagram.length) break;
    if (datagram[offset + 1] === 200 && length >= 28) {
      const seconds = datagram.readUInt32BE(offset + 8);
      const fraction = datagram.readUInt32BE(offset + 12);
      reports.push({
        ssrc: datagram.readUInt32BE(offset + 4),
        ntpMs: seconds * 1000 + (fraction / NTP_FRACTION) * 1000,
        rtpTimestamp: datagram.readUInt32BE(offset + 16),
      });
    }
    offset += length;
  }
  return reports;
}

/** Extends a wrapping counter (16-bit sequence, 32-bit timestamp) next to the last extended value. */
export function unwrap(value: number, last: number | undefined, bits: 16 | 32): number {
  if (last === undefined) return value;
  const range = 2 ** bits;
  const half = range / 2;
  let delta = (value - (last % range) + range) % range;
  if (delta >= half) delta -= range;
  return last + delta;
}

/**
 * A Picture Loss Indication (RFC 4585 §6.3.1): asks the sender of `mediaSsrc` for a key frame.
 * The SFU's consumer turns it into a key frame request to the participant's producer.
 */
export function pliPacket(mediaSsrc: number, senderSsrc = 1): Buffer {
  const packet = Buffer.alloc(12);
  packet[0] = 0x80 | 1; // version 2, FMT 1 (PLI)
  packet[1] = 206; // payload-specific feedback
  packet.writeUInt16BE(2, 2); // length in 32-bit words minus one
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  packet.writeUInt32BE(mediaSsrc >>> 0, 8);
  return packet;
}
