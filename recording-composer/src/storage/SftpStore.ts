/**
 * SFTP storage (`ssh2-sftp-client`): each recording under the configured folder with its
 * metadata as `<name>.json` beside it (SPEC §13). Both are written as `.part` files and renamed
 * into place (OpenSSH's posix-rename replaces the target), so a reader never sees half a file
 * and a retried upload replaces the same name with the same bytes.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import type { SftpSettings } from '@cc/contracts';
import { StorageError, type ByteRange, type RecordingStore, type StoredFileSource } from './RecordingStore.ts';

/** Connecting gives up after this long (a host that does not answer is a failed attempt). */
const READY_TIMEOUT_MS = 10_000;

export class SftpStore implements RecordingStore {
  readonly #settings: SftpSettings;

  constructor(settings: SftpSettings) {
    this.#settings = settings;
  }

  #path(fileName: string): string {
    return path.join(this.#settings.path, fileName);
  }

  /** One connection per operation: uploads are minutes apart, and a dead connection is never reused. */
  async #connect(): Promise<SftpClient> {
    const client = new SftpClient('recording-composer');
    const { host, port, username, password, privateKey } = this.#settings;
    await client.connect({
      host,
      port,
      username,
      ...(password === null ? {} : { password }),
      ...(privateKey === null ? {} : { privateKey }),
      readyTimeout: READY_TIMEOUT_MS,
      // The queue retries with back-off; the client's own retries would only hide an outage.
      retries: 0,
    });
    return client;
  }

  async #with<T>(work: (client: SftpClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async put(source: StoredFileSource): Promise<void> {
    const target = this.#path(source.fileName);
    await this.#with(async (client) => {
      if ((await client.exists(this.#settings.path)) === false) await client.mkdir(this.#settings.path, true);
      await client.put(createReadStream(source.spoolPath), `${target}.part`);
      await client.posixRename(`${target}.part`, target);
      await client.put(Buffer.from(`${JSON.stringify(source.metadata, null, 2)}\n`), `${target}.json.part`);
      await client.posixRename(`${target}.json.part`, `${target}.json`);
    });
  }

  async read(fileName: string, range?: ByteRange): Promise<Readable> {
    const client = await this.#connect();
    try {
      if ((await client.exists(this.#path(fileName))) !== '-') throw new StorageError('not_found', `No stored file ${fileName}`);
      const stream = client.createReadStream(this.#path(fileName), range ?? {});
      stream.once('close', () => void client.end().catch(() => undefined));
      return stream;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  async delete(fileName: string): Promise<void> {
    await this.#with(async (client) => {
      // notFoundOK: deleting twice (a retried delete) is fine.
      await client.delete(`${this.#path(fileName)}.json`, true);
      await client.delete(this.#path(fileName), true);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
