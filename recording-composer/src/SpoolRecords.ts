/**
 * An append-only file of records in a recording's spool, readable again after a crash: each
 * record is `u32 length | u32 CRC-32 of the body | body` (big-endian). A record is written with
 * one synchronous `write` as it comes, so once `append` returns it is in the kernel's page cache
 * and survives the composer being killed (a machine crash may still lose what the cache held).
 * A kill in the middle of a write leaves a torn last record: `reopen` keeps the records up to
 * the last whole one with a good CRC and cuts the file there, so appending goes on cleanly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, truncate } from 'node:fs/promises';
import { oggCrc } from './ogg.ts';

const HEADER = 8;

export interface SpoolRecord {
  body: Buffer;
  /** Where the body starts in the file. */
  offset: number;
}

export class SpoolRecords {
  readonly path: string;
  #fd: number | undefined;
  #bytes: number;

  private constructor(path: string, bytes: number) {
    this.path = path;
    this.#bytes = bytes;
  }

  /** A new, empty file (opened at the first record: a leg that never sends leaves no file). */
  static create(path: string): SpoolRecords {
    return new SpoolRecords(path, 0);
  }

  /** The records a file holds (none when there is no file), cut back to the last whole one; appends go on after it. */
  static async reopen(path: string): Promise<{ file: SpoolRecords; records: SpoolRecord[]; cutBytes: number }> {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return { file: SpoolRecords.create(path), records: [], cutBytes: 0 };
    }
    const records: SpoolRecord[] = [];
    let at = 0;
    while (at + HEADER <= data.length) {
      const length = data.readUInt32BE(at);
      const body = data.subarray(at + HEADER, at + HEADER + length);
      if (body.length < length || oggCrc(body) !== data.readUInt32BE(at + 4)) break;
      records.push({ body, offset: at + HEADER });
      at += HEADER + length;
    }
    if (at < data.length) await truncate(path, at);
    const file = new SpoolRecords(path, at);
    return { file, records, cutBytes: data.length - at };
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Writes a record; returns where its body starts in the file. */
  append(body: Uint8Array): number {
    this.#fd ??= openSync(this.path, 'a');
    const header = Buffer.alloc(HEADER);
    header.writeUInt32BE(body.length, 0);
    header.writeUInt32BE(oggCrc(body), 4);
    const record = Buffer.concat([header, body]);
    for (let written = 0; written < record.length;) written += writeSync(this.#fd, record, written);
    const offset = this.#bytes + HEADER;
    this.#bytes += record.length;
    return offset;
  }

  /** Safe twice; a later `append` opens the file again. */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
