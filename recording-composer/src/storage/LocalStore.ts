/**
 * Local disk storage: the recordings folder, on the same file system as the spool, so storing
 * a file is a hard link into place (never over another recording) and costs no copy.
 */
import { createReadStream } from 'node:fs';
import { link, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StorageError, type ByteRange, type RecordingStore, type StoredFileSource } from './RecordingStore.ts';

export class LocalStore implements RecordingStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(fileName: string): string {
    if (fileName !== path.basename(fileName) || fileName.startsWith('.')) throw new RangeError(`Not a recording file name: ${fileName}`);
    return path.join(this.#dir, fileName);
  }

  async put(source: StoredFileSource): Promise<void> {
    const target = this.#path(source.fileName);
    try {
      await link(source.spoolPath, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // An earlier attempt linked it and stopped before the job was marked done: the same inode.
      const [spooled, stored] = await Promise.all([stat(source.spoolPath), stat(target)]);
      if (spooled.ino !== stored.ino || spooled.dev !== stored.dev) {
        throw new StorageError('conflict', `Another file is already stored as ${source.fileName}`);
      }
    }
  }

  async read(fileName: string, range?: ByteRange): Promise<Readable> {
    const file = this.#path(fileName);
    await stat(file).catch((error: unknown) => {
      throw new StorageError('not_found', `No stored file ${fileName}`, { cause: error });
    });
    return createReadStream(file, range);
  }

  async delete(fileName: string): Promise<void> {
    await unlink(this.#path(fileName)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
