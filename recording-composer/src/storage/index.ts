/** Recording storages, for the composer's uploads and the routing service's downloads and deletions. */
export { LocalStore } from './LocalStore.ts';
export { S3Store } from './S3Store.ts';
export { SftpStore, fetchSftpHostKey, hostKeyFingerprint, hostKeyLine } from './SftpStore.ts';
export { openStore } from './open-store.ts';
export { StorageError, RECORDING_CONTENT_TYPE, type ByteRange, type RecordingStore, type StoredFileSource } from './RecordingStore.ts';
