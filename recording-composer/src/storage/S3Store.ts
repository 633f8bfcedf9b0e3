/**
 * S3-compatible storage (AWS SDK v3): one object per recording under the configured prefix.
 * Large files go up in parts (`@aws-sdk/lib-storage`); a PUT of the same key replaces the
 * object with the same bytes, which is what makes a retried upload harmless.
 */
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { S3Settings } from '@cc/contracts';
import { RECORDING_CONTENT_TYPES } from '@cc/contracts';
import { StorageError, type ByteRange, type RecordingStore, type StoredFileSource } from './RecordingStore.ts';

/** Parts of 8 MiB, two at a time: at most 16 MiB of a recording in memory per upload. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

export class S3Store implements RecordingStore {
  readonly #settings: S3Settings;
  readonly #client: S3Client;

  constructor(settings: S3Settings) {
    this.#settings = settings;
    this.#client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // The upload queue retries with its own back-off; one quick SDK retry covers a dropped connection.
      maxAttempts: 2,
      // A store that accepts connections and never answers must fail the attempt, not hang it.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
      // Many S3-compatible servers reject the newer default (CRC) checksums: send them only where required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  #key(fileName: string): string {
    return `${this.#settings.prefix}${fileName}`;
  }

  async put(source: StoredFileSource): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#settings.bucket,
        Key: this.#key(source.fileName),
        Body: createReadStream(source.spoolPath),
        ContentType: RECORDING_CONTENT_TYPES[source.metadata.container ?? 'ogg'],
        // ASCII-only user metadata (S3 sends it as HTTP headers); the rest is in the recording's row.
        Metadata: { 'conversation-id': source.metadata.conversationId, 'call-id': source.metadata.callId, leg: source.metadata.leg },
      },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
    });
    await upload.done();
  }

  async read(fileName: string, range?: ByteRange): Promise<Readable> {
    try {
      const object = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#settings.bucket,
          Key: this.#key(fileName),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(object.Body instanceof Readable)) throw new Error('The S3 object has no readable body');
      return object.Body;
    } catch (error) {
      if (error instanceof NoSuchKey) throw new StorageError('not_found', `No stored file ${fileName}`, { cause: error });
      throw error;
    }
  }

  async delete(fileName: string): Promise<void> {
    // S3 answers 204 for a key that does not exist: deleting twice is fine.
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#settings.bucket, Key: this.#key(fileName) }));
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }
}
