/**
 * Reads an Ogg Opus file (RFC 7845) into its audio packets, each with its duration taken from
 * the packet's own TOC byte (RFC 6716 §3.1), so a player can send them as RTP at real-time
 * pace without decoding. Page CRCs are not checked: the files come from our own ffmpeg
 * conversion and are addressed by a hash of their content.
 */

/** One Opus packet and how much audio it carries, in 48 kHz samples. */
export interface OpusPacket {
  data: Buffer;
  samples: number;
}

export interface OggOpus {
  channels: number;
  packets: OpusPacket[];
  /** Total duration in milliseconds (sum of the packets). */
  durationMs: number;
}

export class OggOpusError extends Error {
  override name = 'OggOpusError';
}

/** Samples per frame at 48 kHz for each of the 32 TOC configurations. */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4] as number; // SILK: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config % 2] as number; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4] as number; // CELT: 2.5, 5, 10, 20 ms
}

/** Duration of one Opus packet in 48 kHz samples, from its TOC byte (and frame count byte). */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) throw new OggOpusError('Empty Opus packet');
  const perFrame = frameSamples(toc >> 3);
  const code = toc & 0x03;
  if (code === 0) return perFrame;
  if (code === 1 || code === 2) return perFrame * 2;
  const count = packet[1];
  if (count === undefined) throw new OggOpusError('Truncated Opus packet');
  return perFrame * (count & 0x3f);
}

/** Splits an Ogg stream into the packets of its first logical stream. */
function* oggPackets(file: Buffer): Generator<Buffer> {
  let offset = 0;
  let serial: number | undefined;
  let pending: Buffer[] = [];
  while (offset < file.length) {
    if (file.length - offset < 27 || file.toString('latin1', offset, offset + 4) !== 'OggS') {
      throw new OggOpusError('Not an Ogg stream');
    }
    const segments = file[offset + 26] as number;
    const tableStart = offset + 27;
    if (tableStart + segments > file.length) throw new OggOpusError('Truncated Ogg page');
    const pageSerial = file.readUInt32LE(offset + 14);
    serial ??= pageSerial;
    let dataOffset = tableStart + segments;
    for (let i = 0; i < segments; i += 1) {
      const size = file[tableStart + i] as number;
      if (dataOffset + size > file.length) throw new OggOpusError('Truncated Ogg page');
      if (pageSerial === serial) pending.push(file.subarray(dataOffset, dataOffset + size));
      dataOffset += size;
      // A lacing value below 255 ends a packet; 255 means it continues in the next segment.
      if (size < 255 && pageSerial === serial) {
        yield Buffer.concat(pending);
        pending = [];
      }
    }
    offset = dataOffset;
  }
}

export function parseOggOpus(file: Buffer): OggOpus {
  const packets = oggPackets(file);
  const head = packets.next();
  if (head.done || head.value.length < 19 || head.value.toString('latin1', 0, 8) !== 'OpusHead') {
    throw new OggOpusError('Not an Ogg Opus stream (no OpusHead)');
  }
  const channels = head.value[9] as number;
  const tags = packets.next();
  if (tags.done || tags.value.toString('latin1', 0, 8) !== 'OpusTags') throw new OggOpusError('Missing OpusTags');
  const audio: OpusPacket[] = [];
  let samples = 0;
  for (const data of packets) {
    if (data.length === 0) continue;
    const packetSamples = opusPacketSamples(data);
    audio.push({ data, samples: packetSamples });
    samples += packetSamples;
  }
  if (audio.length === 0) throw new OggOpusError('The stream has no audio');
  return { channels, packets: audio, durationMs: Math.round(samples / 48) };
}
