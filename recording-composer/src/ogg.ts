/**
 * Ogg framing (RFC 3533): pages with a CRC-32 (polynomial 0x04c11db7, not reflected, initial
 * value 0, computed with the CRC field zeroed), lacing values of 255 for each full segment of
 * a packet. The writer never splits a packet across pages: Opus packets are at most a few
 * kilobytes, and whole packets per page make every granule position exact.
 */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

export function oggCrc(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  return crc >>> 0;
}

const HEADER_BOS = 0x02;
const HEADER_EOS = 0x04;
/** Flush a page after this many packets (≈1 s of 20 ms audio): small pages, cheap seeking. */
const PACKETS_PER_PAGE = 50;
const MAX_SEGMENTS = 255;

function lacing(length: number): number[] {
  const values: number[] = new Array<number>(Math.floor(length / 255)).fill(255);
  values.push(length % 255);
  return values;
}

export function oggPage(p: {
  serial: number;
  sequence: number;
  granule: bigint;
  packets: Uint8Array[];
  bos?: boolean;
  eos?: boolean;
}): Buffer {
  const segments = p.packets.flatMap((packet) => lacing(packet.length));
  if (segments.length > MAX_SEGMENTS) throw new RangeError('Too many segments for one Ogg page');
  const header = Buffer.alloc(27 + segments.length);
  header.write('OggS', 0, 'latin1');
  header[4] = 0;
  header[5] = (p.bos ? HEADER_BOS : 0) | (p.eos ? HEADER_EOS : 0);
  header.writeBigInt64LE(p.granule, 6);
  header.writeUInt32LE(p.serial >>> 0, 14);
  header.writeUInt32LE(p.sequence >>> 0, 18);
  header[26] = segments.length;
  Buffer.from(segments).copy(header, 27);
  const page = Buffer.concat([header, ...p.packets]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** Packs a logical stream into pages; `emit` receives each finished page in order. */
export class OggStreamWriter {
  readonly #serial: number;
  readonly #emit: (page: Buffer) => void;
  #sequence = 0;
  #pending: Uint8Array[] = [];
  #pendingSegments = 0;
  #granule = 0n;

  /** `from` continues a stream already on disk (a resumed leg file): its next page and position. */
  constructor(serial: number, emit: (page: Buffer) => void, from?: { sequence: number; granule: bigint }) {
    this.#serial = serial;
    this.#emit = emit;
    this.#sequence = from?.sequence ?? 0;
    this.#granule = from?.granule ?? 0n;
  }

  /** A header packet on a page of its own (RFC 7845: OpusHead alone on the first page, OpusTags next). */
  writeHeader(packet: Uint8Array): void {
    this.#emit(oggPage({ serial: this.#serial, sequence: this.#sequence, granule: 0n, packets: [packet], bos: this.#sequence === 0 }));
    this.#sequence++;
  }

  /** An audio packet; `granule` is the stream position at the end of this packet. */
  writePacket(packet: Uint8Array, granule: bigint): void {
    const segments = lacing(packet.length).length;
    if (this.#pendingSegments + segments > MAX_SEGMENTS) this.#flush(false);
    this.#pending.push(packet);
    this.#pendingSegments += segments;
    this.#granule = granule;
    if (this.#pending.length >= PACKETS_PER_PAGE) this.#flush(false);
  }

  /** Writes what is pending on a last page marked end-of-stream. */
  end(): void {
    this.#flush(true);
  }

  #flush(eos: boolean): void {
    if (this.#pending.length === 0 && !eos) return;
    this.#emit(oggPage({ serial: this.#serial, sequence: this.#sequence, granule: this.#granule, packets: this.#pending, eos }));
    this.#sequence++;
    this.#pending = [];
    this.#pendingSegments = 0;
  }
}

/** Reads an Ogg file back into its packets (one logical stream), checking every page's CRC. */
export function readOggPackets(file: Buffer): { packets: Buffer[]; granules: bigint[] } {
  const packets: Buffer[] = [];
  const granules: bigint[] = [];
  let offset = 0;
  let partial: Buffer[] = [];
  while (offset < file.length) {
    if (file.toString('latin1', offset, offset + 4) !== 'OggS') throw new Error(`No Ogg page at ${offset}`);
    const count = file[offset + 26] ?? 0;
    const table = file.subarray(offset + 27, offset + 27 + count);
    const bodyLength = table.reduce((a, b) => a + b, 0);
    const page = Buffer.from(file.subarray(offset, offset + 27 + count + bodyLength));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    if (oggCrc(page) !== crc) throw new Error(`Bad CRC on the page at ${offset}`);
    granules.push(page.readBigInt64LE(6));
    let at = 27 + count;
    for (const value of table) {
      partial.push(page.subarray(at, at + value));
      at += value;
      if (value < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    offset += page.length;
  }
  return { packets, granules };
}

export interface OggPageInfo {
  offset: number;
  length: number;
  serial: number;
  sequence: number;
  granule: bigint;
  eos: boolean;
  /** The page's complete packets (a packet continued on the next page is not split by this writer). */
  packets: Buffer[];
}

/**
 * The whole pages at the start of a file that may end in a torn page (a process killed while
 * writing, or a disk that lost the last write): pages are read while each is complete and its
 * CRC matches; `validLength` is where the first damaged or partial page starts, the point to
 * truncate to before appending.
 */
export function scanOggPages(file: Buffer): { pages: OggPageInfo[]; validLength: number } {
  const pages: OggPageInfo[] = [];
  let offset = 0;
  while (offset + 27 <= file.length) {
    if (file.toString('latin1', offset, offset + 4) !== 'OggS') break;
    const count = file[offset + 26] ?? 0;
    if (offset + 27 + count > file.length) break;
    const table = file.subarray(offset + 27, offset + 27 + count);
    const length = 27 + count + table.reduce((a, b) => a + b, 0);
    if (offset + length > file.length) break;
    const page = Buffer.from(file.subarray(offset, offset + length));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    if (oggCrc(page) !== crc) break;
    const packets: Buffer[] = [];
    let partial: Buffer[] = [];
    let at = 27 + count;
    for (const value of table) {
      partial.push(page.subarray(at, at + value));
      at += value;
      if (value < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    pages.push({
      offset,
      length,
      serial: page.readUInt32LE(14),
      sequence: page.readUInt32LE(18),
      granule: page.readBigInt64LE(6),
      eos: ((page[5] ?? 0) & HEADER_EOS) !== 0,
      packets,
    });
    offset += length;
  }
  return { pages, validLength: offset };
}

/** The same page with its end-of-stream flag cleared (and its CRC recomputed), to append after it. */
export function withoutEos(page: Buffer): Buffer {
  const copy = Buffer.from(page);
  copy[5] = (copy[5] ?? 0) & ~HEADER_EOS;
  copy.writeUInt32LE(0, 22);
  copy.writeUInt32LE(oggCrc(copy), 22);
  return copy;
}
