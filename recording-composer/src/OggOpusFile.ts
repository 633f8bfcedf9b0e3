/** An Ogg Opus file being written: header pages, then audio packets with their positions. */
import { randomInt } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, readFile, truncate, unlink } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { OggStreamWriter, scanOggPages, withoutEos } from './ogg.ts';
import { opusHead, opusTags, packetSamples, readOpusTags } from './opus.ts';

/** Where an existing file's stream goes on: its serial, next page and position, and size. */
interface Continuation {
  serial: number;
  sequence: number;
  granule: bigint;
  bytes: number;
}

/** A leg file found again after a restart, ready to be appended to. */
export interface ResumedOggOpus {
  file: OggOpusFile;
  /** The OpusTags comments written when the file was opened. */
  tags: Record<string, string>;
  /** The audio packets already in the file, each with its position (48 kHz samples). */
  packets: { payload: Buffer; position: number }[];
  /** Bytes of a torn or damaged last page that were cut off. */
  cutBytes: number;
}

export class OggOpusFile {
  readonly path: string;
  readonly #stream: WriteStream;
  readonly #ogg: OggStreamWriter;
  #samples = 0n;
  #bytes = 0;

  constructor(path: string, layout: 'mono' | 'two_mono_streams', tags: Record<string, string>, from?: Continuation) {
    this.path = path;
    // A new file must not replace anything; a continued one is appended to.
    this.#stream = createWriteStream(path, { flags: from ? 'a' : 'wx' });
    this.#samples = from?.granule ?? 0n;
    this.#bytes = from?.bytes ?? 0;
    const emit = (page: Buffer) => {
      this.#bytes += page.length;
      this.#stream.write(page);
    };
    if (from) {
      this.#ogg = new OggStreamWriter(from.serial, emit, { sequence: from.sequence, granule: from.granule });
      return;
    }
    this.#ogg = new OggStreamWriter(randomInt(2 ** 32 - 1), emit);
    this.#ogg.writeHeader(opusHead(layout));
    this.#ogg.writeHeader(opusTags(tags));
  }

  /**
   * Opens a mono file written by an earlier run of the composer to go on writing it. The last
   * page may be torn (the process was killed in the middle of writing it): the file is cut
   * back to its last whole page with a good CRC, and an end-of-stream flag (a run that ended
   * its files but died before filing them) is cleared. Undefined, and the file removed, when
   * not even its headers made it to disk: the leg starts a new file at its next packet.
   */
  static async resume(path: string): Promise<ResumedOggOpus | undefined> {
    const data = await readFile(path);
    const { pages, validLength } = scanOggPages(data);
    const head = pages[0]?.packets[0];
    const tags = pages[1]?.packets[0] && readOpusTags(pages[1].packets[0]);
    const last = pages.at(-1);
    if (!head || head.toString('latin1', 0, 8) !== 'OpusHead' || !tags || !last) {
      await unlink(path);
      return undefined;
    }
    if (validLength < data.length) await truncate(path, validLength);
    if (last.eos) {
      const handle = await open(path, 'r+');
      try {
        await handle.write(withoutEos(data.subarray(last.offset, last.offset + last.length)), 0, last.length, last.offset);
      } finally {
        await handle.close();
      }
    }
    const packets: ResumedOggOpus['packets'] = [];
    let position = 0;
    for (const page of pages.slice(2)) {
      for (const payload of page.packets) {
        packets.push({ payload, position });
        position += packetSamples(payload);
      }
    }
    const granule = pages.length > 2 ? last.granule : 0n;
    const file = new OggOpusFile(path, 'mono', tags, { serial: last.serial, sequence: last.sequence + 1, granule, bytes: validLength });
    return { file, tags, packets, cutBytes: data.length - validLength };
  }

  /** 48 kHz samples written so far (the granule position of the last packet). */
  get samples(): number {
    return Number(this.#samples);
  }

  write(packet: Uint8Array, samples: number): void {
    this.#samples += BigInt(samples);
    this.#ogg.writePacket(packet, this.#samples);
  }

  /** Ends the stream and waits until every byte is on disk. */
  async close(): Promise<{ bytes: number }> {
    this.#ogg.end();
    this.#stream.end();
    await finished(this.#stream);
    return { bytes: this.#bytes };
  }
}
