/**
 * EBML (RFC 8794), the encoding of Matroska and WebM: elements are an ID, a variable-size
 * length and a body. Just the writers the WebM recordings need.
 */

/** Element IDs used by the WebM writer (Matroska spec, RFC 9559). */
export const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  DateUTC: 0x4461,
  Title: 0x7ba9,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  Name: 0x536e,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
  Tags: 0x1254c367,
  Tag: 0x7373,
  Targets: 0x63c0,
  SimpleTag: 0x67c8,
  TagName: 0x45a3,
  TagString: 0x4487,
  Void: 0xec,
} as const;

export function idBytes(id: number): Buffer {
  // An ID's own bytes carry its length marker: write it with as many bytes as it has.
  const size = id > 0xffffff ? 4 : id > 0xffff ? 3 : id > 0xff ? 2 : 1;
  const out = Buffer.alloc(size);
  out.writeUIntBE(id, 0, size);
  return out;
}

/** A data size as an EBML variable-size integer; `width` forces a length (for sizes patched later). */
export function vintSize(value: number, width?: number): Buffer {
  let size = width ?? 1;
  if (width === undefined) while (value >= 2 ** (7 * size) - 1) size++;
  if (size > 8 || value >= 2 ** (7 * size) - 1) throw new RangeError(`EBML size ${value} does not fit ${size} bytes`);
  const out = Buffer.alloc(size);
  let rest = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[0] = (out[0] ?? 0) | (0x80 >> (size - 1));
  return out;
}

/** Marks an element's size as unknown (all ones), 8 bytes. */
export const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function element(id: number, ...body: Buffer[]): Buffer {
  const data = Buffer.concat(body);
  return Buffer.concat([idBytes(id), vintSize(data.length), data]);
}

/** The ID and size of an element whose body is written after it (a Cluster, the Segment). */
export function header(id: number, size: number, width?: number): Buffer {
  return Buffer.concat([idBytes(id), vintSize(size, width)]);
}

export function uint(id: number, value: number | bigint, width?: number): Buffer {
  let n = BigInt(value);
  let size = width ?? 1;
  if (width === undefined) while (n >= 1n << BigInt(8 * size)) size++;
  const out = Buffer.alloc(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return element(id, out);
}

export function int(id: number, value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64BE(value);
  return element(id, out);
}

export function float(id: number, value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeDoubleBE(value);
  return element(id, out);
}

export function string(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'utf8'));
}

/** A Void element of exactly `total` bytes (reserved room, ≥ 2). */
export function voidElement(total: number): Buffer {
  const sizeWidth = total - 1 > 127 ? 8 : 1;
  return Buffer.concat([idBytes(ID.Void), vintSize(total - 1 - sizeWidth, sizeWidth), Buffer.alloc(total - 1 - sizeWidth)]);
}
