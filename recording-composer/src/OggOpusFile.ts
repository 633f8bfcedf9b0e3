/** An Ogg Opus file being written: header pages, then audio packets with their positions. */
import { randomInt } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { OggStreamWriter } from './ogg.ts';
import { opusHead, opusTags } from './opus.ts';

export class OggOpusFile {
  readonly path: string;
  readonly #stream: WriteStream;
  readonly #ogg: OggStreamWriter;
  #samples = 0n;
  #bytes = 0;

  constructor(path: string, layout: 'mono' | 'two_mono_streams', tags: Record<string, string>) {
    this.path = path;
    this.#stream = createWriteStream(path, { flags: 'wx' });
    this.#ogg = new OggStreamWriter(randomInt(2 ** 32 - 1), (page) => {
      this.#bytes += page.length;
      this.#stream.write(page);
    });
    this.#ogg.writeHeader(opusHead(layout));
    this.#ogg.writeHeader(opusTags(tags));
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
