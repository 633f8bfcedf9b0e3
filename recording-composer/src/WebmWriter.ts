/**
 * Writes one WebM file (a Matroska subset: EBML header, Segment with SeekHead, Info, Tracks,
 * Tags, Clusters of SimpleBlocks, Cues) from blocks given in time order. Timestamps are in
 * milliseconds (TimestampScale 1 ms). A cluster starts at each video key frame (so every cue
 * lands on a picture that decodes) and at least every 5 s; the Cues at the end list every
 * cluster that starts with a video key frame (every cluster for an audio-only file), and the
 * SeekHead at the front, patched once the Cues' place is known, points players to them.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { element, float, ID, idBytes, int, string, uint, UNKNOWN_SIZE, vintSize, voidElement } from './ebml.ts';

export interface WebmTrack {
  number: number;
  type: 'video' | 'audio';
  codecId: 'V_VP8' | 'A_OPUS';
  name: string;
  width?: number;
  height?: number;
  channels?: number;
  codecPrivate?: Uint8Array;
}

export interface WebmOptions {
  tracks: WebmTrack[];
  durationMs: number;
  /** When the recording started (Info DateUTC). */
  startedAt: Date;
  title: string;
  /** Global tags (ffprobe shows them as the format's tags). */
  tags: Record<string, string>;
}

const CLUSTER_MAX_MS = 5000;
/** Room kept at the front for the SeekHead (4 entries of fixed width). */
const SEEK_HEAD_BYTES = 100;
/** Matroska counts DateUTC in nanoseconds from 2001-01-01T00:00:00Z. */
const MATROSKA_EPOCH_MS = Date.UTC(2001, 0, 1);

interface Block {
  track: number;
  timeMs: number;
  keyframe: boolean;
  data: Uint8Array;
}

export class WebmWriter {
  readonly path: string;
  readonly #file: FileHandle;
  readonly #options: WebmOptions;
  readonly #videoTrack: number | undefined;
  /** Offsets (from the Segment's data) of the top-level elements, for the SeekHead. */
  readonly #positions = new Map<number, number>();
  readonly #cues: { timeMs: number; track: number; position: number }[] = [];
  /** Where the Segment's data starts in the file. */
  #segmentStart = 0;
  #offset = 0;
  #cluster: Block[] = [];
  #lastTimeMs = -Infinity;
  #closed = false;

  private constructor(path: string, file: FileHandle, options: WebmOptions) {
    this.path = path;
    this.#file = file;
    this.#options = options;
    this.#videoTrack = options.tracks.find((t) => t.type === 'video')?.number;
  }

  static async create(path: string, options: WebmOptions): Promise<WebmWriter> {
    const file = await open(path, 'wx');
    const writer = new WebmWriter(path, file, options);
    await writer.#writeHead();
    return writer;
  }

  /** Adds a block; blocks must come in time order (a block earlier than the last is placed at the last's time). */
  async block(track: number, timeMs: number, keyframe: boolean, data: Uint8Array): Promise<void> {
    const at = Math.max(Math.round(timeMs), this.#lastTimeMs);
    this.#lastTimeMs = at;
    const first = this.#cluster[0];
    const startsPicture = track === this.#videoTrack && keyframe;
    if (first && (startsPicture || at - first.timeMs >= CLUSTER_MAX_MS)) await this.#flushCluster();
    this.#cluster.push({ track, timeMs: at, keyframe, data });
  }

  /** Writes the last cluster and the Cues, patches the SeekHead and the Segment's size. */
  async close(): Promise<{ bytes: number }> {
    if (this.#closed) return { bytes: this.#offset };
    this.#closed = true;
    try {
      await this.#flushCluster();
      this.#positions.set(ID.Cues, this.#offset - this.#segmentStart);
      const cues = this.#cues.map((cue) =>
        element(
          ID.CuePoint,
          uint(ID.CueTime, cue.timeMs),
          element(ID.CueTrackPositions, uint(ID.CueTrack, cue.track), uint(ID.CueClusterPosition, cue.position)),
        ),
      );
      if (cues.length > 0) await this.#append(element(ID.Cues, ...cues));
      else this.#positions.delete(ID.Cues);
      await this.#file.write(this.#seekHead(), 0, SEEK_HEAD_BYTES, this.#segmentStart);
      await this.#file.write(vintSize(this.#offset - this.#segmentStart, 8), 0, 8, this.#segmentStart - 8);
      return { bytes: this.#offset };
    } finally {
      await this.#file.close();
    }
  }

  async #append(bytes: Buffer): Promise<void> {
    await this.#file.write(bytes, 0, bytes.length, this.#offset);
    this.#offset += bytes.length;
  }

  async #writeHead(): Promise<void> {
    const o = this.#options;
    await this.#append(
      element(
        ID.EBML,
        uint(ID.EBMLVersion, 1),
        uint(ID.EBMLReadVersion, 1),
        uint(ID.EBMLMaxIDLength, 4),
        uint(ID.EBMLMaxSizeLength, 8),
        string(ID.DocType, 'webm'),
        uint(ID.DocTypeVersion, 4),
        uint(ID.DocTypeReadVersion, 2),
      ),
    );
    // The Segment's size is patched at the end (8 bytes kept for it).
    await this.#append(Buffer.concat([idBytes(ID.Segment), UNKNOWN_SIZE]));
    this.#segmentStart = this.#offset;
    await this.#append(voidElement(SEEK_HEAD_BYTES));
    this.#positions.set(ID.Info, this.#offset - this.#segmentStart);
    await this.#append(
      element(
        ID.Info,
        uint(ID.TimestampScale, 1_000_000),
        float(ID.Duration, o.durationMs),
        int(ID.DateUTC, BigInt(o.startedAt.getTime() - MATROSKA_EPOCH_MS) * 1_000_000n),
        string(ID.Title, o.title),
        string(ID.MuxingApp, 'cc-recording-composer'),
        string(ID.WritingApp, 'cc-recording-composer'),
      ),
    );
    this.#positions.set(ID.Tracks, this.#offset - this.#segmentStart);
    await this.#append(element(ID.Tracks, ...o.tracks.map((track) => trackEntry(track))));
    this.#positions.set(ID.Tags, this.#offset - this.#segmentStart);
    await this.#append(
      element(
        ID.Tags,
        element(
          ID.Tag,
          element(ID.Targets),
          ...Object.entries(o.tags).map(([name, value]) => element(ID.SimpleTag, string(ID.TagName, name), string(ID.TagString, value))),
        ),
      ),
    );
  }

  async #flushCluster(): Promise<void> {
    const blocks = this.#cluster;
    const first = blocks[0];
    if (!first) return;
    this.#cluster = [];
    const position = this.#offset - this.#segmentStart;
    if (this.#videoTrack === undefined) this.#cues.push({ timeMs: first.timeMs, track: first.track, position });
    else if (first.track === this.#videoTrack && first.keyframe)
      this.#cues.push({ timeMs: first.timeMs, track: this.#videoTrack, position });
    const body = [uint(ID.Timestamp, first.timeMs)];
    for (const block of blocks) {
      const head = Buffer.alloc(4);
      head[0] = 0x80 | block.track; // track number as a 1-byte vint (tracks 1..126)
      head.writeInt16BE(block.timeMs - first.timeMs, 1);
      head[3] = block.keyframe ? 0x80 : 0;
      body.push(element(ID.SimpleBlock, head, Buffer.from(block.data.buffer, block.data.byteOffset, block.data.byteLength)));
    }
    await this.#append(element(ID.Cluster, ...body));
  }

  #seekHead(): Buffer {
    const seeks = [...this.#positions].map(([id, position]) =>
      element(ID.Seek, element(ID.SeekID, idBytes(id)), uint(ID.SeekPosition, position, 8)),
    );
    const head = element(ID.SeekHead, ...seeks);
    return Buffer.concat([head, voidElement(SEEK_HEAD_BYTES - head.length)]);
  }
}

function trackEntry(track: WebmTrack): Buffer {
  const parts = [
    uint(ID.TrackNumber, track.number),
    uint(ID.TrackUID, track.number),
    uint(ID.TrackType, track.type === 'video' ? 1 : 2),
    uint(ID.FlagLacing, 0),
    string(ID.Name, track.name),
    string(ID.CodecID, track.codecId),
  ];
  if (track.codecPrivate) parts.push(element(ID.CodecPrivate, Buffer.from(track.codecPrivate)));
  if (track.type === 'video') {
    parts.push(element(ID.Video, uint(ID.PixelWidth, track.width ?? 0), uint(ID.PixelHeight, track.height ?? 0)));
  } else {
    // Opus in Matroska: 80 ms of pre-roll decodes cleanly after a seek.
    parts.push(uint(ID.SeekPreRoll, 80_000_000), uint(ID.CodecDelay, 0));
    parts.push(element(ID.Audio, float(ID.SamplingFrequency, 48000), uint(ID.Channels, track.channels ?? 1)));
  }
  return element(ID.TrackEntry, ...parts);
}
