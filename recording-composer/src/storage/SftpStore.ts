/**
 * SFTP storage (`ssh2-sftp-client`): each recording under the configured folder with its
 * metadata as `<name>.json` beside it (SPEC §13). Both are written as `.part` files and renamed
 * into place (OpenSSH's posix-rename replaces the target), so a reader never sees half a file
 * and a retried upload replaces the same name with the same bytes.
 *
 * With a host key in the settings, the server must present that key (or one with that SHA-256
 * fingerprint) or nothing is sent: a refused key fails the attempt with a `host_key_mismatch`
 * error naming both keys, and the upload queue retries it like any storage failure (a supervisor
 * who corrects the key, or a server put back, lets the next attempt through).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { parseSftpHostKey, type SftpHostKey, type SftpHostKeyType, type SftpSettings } from '@cc/contracts';
import { StorageError, type ByteRange, type RecordingStore, type StoredFileSource } from './RecordingStore.ts';

/** Connecting gives up after this long (a host that does not answer is a failed attempt). */
const READY_TIMEOUT_MS = 10_000;

/** The host key algorithms that make the server present a key of the pinned type (one server often has several). */
const HOST_KEY_ALGORITHMS: Record<SftpHostKeyType, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** `SHA256:…` of a host key in SSH wire format, as `ssh-keygen -lf` prints it. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A host key in SSH wire format as an OpenSSH line: its type (the first field of the blob), then base64. */
export function hostKeyLine(blob: Buffer): string {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  return `${blob.toString('latin1', 4, 4 + length)} ${blob.toString('base64')}`;
}

function matches(pinned: SftpHostKey, blob: Buffer): boolean {
  if (pinned.kind === 'fingerprint') return hostKeyFingerprint(blob) === `SHA256:${pinned.sha256}`;
  return blob.equals(Buffer.from(pinned.base64, 'base64'));
}

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
    const { host, port, username, password, privateKey, hostKey } = this.#settings;
    const pinned = hostKey === null ? undefined : parseSftpHostKey(hostKey);
    let presented: Buffer | undefined;
    try {
      await client.connect({
        host,
        port,
        username,
        ...(password === null ? {} : { password }),
        ...(privateKey === null ? {} : { privateKey }),
        ...(pinned && {
          hostVerifier: (key: Buffer) => {
            presented = key;
            return matches(pinned, key);
          },
          ...(pinned.kind === 'key' && { algorithms: { serverHostKey: HOST_KEY_ALGORITHMS[pinned.type] } }),
        }),
        readyTimeout: READY_TIMEOUT_MS,
        // The queue retries with back-off; the client's own retries would only hide an outage.
        retries: 0,
      });
    } catch (error) {
      if (pinned && hostKey !== null) {
        if (presented && !matches(pinned, presented)) {
          throw new StorageError(
            'host_key_mismatch',
            `SFTP host key does not match the configured one: ${host}:${port} presented ${hostKeyFingerprint(presented)} (${hostKeyLine(presented).split(' ')[0]}), the settings expect ${pinned.kind === 'key' ? hostKeyFingerprint(Buffer.from(pinned.base64, 'base64')) : hostKey}`,
            { cause: error },
          );
        }
        if (!presented && pinned.kind === 'key' && /no matching host key/i.test(error instanceof Error ? error.message : '')) {
          throw new StorageError('host_key_mismatch', `SFTP host key does not match: ${host}:${port} has no ${pinned.type} host key`, {
            cause: error,
          });
        }
      }
      throw error;
    }
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

/**
 * The host key an SFTP server presents, for a supervisor to confirm and pin (trust on first
 * use). Only the key exchange runs: the connection is refused by us right after the server
 * signs it, before any login. Throws StorageError('not_found') when the server cannot be reached.
 */
export async function fetchSftpHostKey(host: string, port: number): Promise<{ hostKey: string; fingerprint: string }> {
  const client = new SftpClient('recording-composer-host-key');
  let presented: Buffer | undefined;
  try {
    await client.connect({
      host,
      port,
      username: 'host-key-probe',
      readyTimeout: READY_TIMEOUT_MS,
      retries: 0,
      hostVerifier: (key: Buffer) => {
        presented = key;
        return false;
      },
    });
  } catch (error) {
    if (!presented) {
      throw new StorageError(
        'not_found',
        `No SSH server answered at ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  if (!presented) throw new StorageError('not_found', `The SSH server at ${host}:${port} presented no host key`);
  return { hostKey: hostKeyLine(presented), fingerprint: hostKeyFingerprint(presented) };
}
