/**
 * A storage for finished recordings (SPEC §13): local disk, an S3-compatible store or SFTP.
 * Every operation is keyed by the file's name, reserved once by the upload queue, so repeating
 * one (a retry, a job taken over after a crash) stores the same bytes under the same name.
 */
import type { Readable } from 'node:stream';
import type { RecordingMetadata } from '@cc/contracts';

export interface StoredFileSource {
  /** The finished file in the composer's spool. */
  spoolPath: string;
  /** Its name in the storage (the SPEC name, made safe for file systems). */
  fileName: string;
  metadata: RecordingMetadata;
}

export interface RecordingStore {
  /** Stores the file under its name; storing it again replaces it with the same bytes. */
  put(source: StoredFileSource): Promise<void>;
  /** Reads a stored file, or bytes `start..end` (inclusive) of it. Throws `StorageError('not_found')` when there is none. */
  read(fileName: string, range?: ByteRange): Promise<Readable>;
  /** Deletes a stored file and what travels with it (SFTP's `.json`); a missing file is not an error. */
  delete(fileName: string): Promise<void>;
  /** Releases connections. Safe twice. */
  close(): Promise<void>;
}

/** Bytes `start` to `end` of a file, both included (as HTTP ranges count them). */
export interface ByteRange {
  start: number;
  end: number;
}

export class StorageError extends Error {
  override name = 'StorageError';
  readonly code: 'not_configured' | 'not_found' | 'conflict' | 'host_key_mismatch';
  constructor(code: StorageError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The Content-Type of an Ogg Opus recording (`RECORDING_CONTENT_TYPES` in contracts has every container's). */
export const RECORDING_CONTENT_TYPE = 'audio/ogg; codecs=opus';
