/**
 * Recording storage (SPEC §13): the settings of an S3-compatible store and of an SFTP server,
 * as the organisation's recording configuration keeps them, and the metadata that travels with
 * every recording file (the `.json` beside it on SFTP, the `.csv` of a download).
 *
 * Secrets (the S3 secret key, the SFTP password and private key) are write-only: the API
 * answers whether one is set, never its value.
 */
import { z } from 'zod';
import {
  RECORDING_CHANNEL_LAYOUTS,
  RECORDING_COMPOSITIONS,
  RECORDING_DIRECTIONS,
  RECORDING_CONTAINERS,
  RECORDING_FILE_LEGS,
  RECORDING_STORAGES,
  RECORDING_VIDEO_MODES,
  type RecordingComposition,
  type RecordingDirections,
  type RecordingStorage,
  type RecordingVideoMode,
} from './recording.ts';

/** An S3-compatible object store (AWS, MinIO, Ceph, …). */
export const s3SettingsSchema = z.object({
  /** Endpoint URL; none means AWS itself (from the region). */
  endpoint: z.url({ error: 'The S3 endpoint must be a URL' }).max(512).nullable().default(null),
  /** Region. Default us-east-1 (what most S3-compatible servers accept). */
  region: z.string().trim().min(1).max(64).default('us-east-1'),
  bucket: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'The bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens'),
  /** Key prefix ("folder") every recording is stored under; empty for the bucket's root. */
  prefix: z
    .string()
    .max(512)
    .regex(/^([^/].*\/)?$/, 'The key prefix must be empty or end with "/" (and not start with one)')
    .default(''),
  accessKeyId: z.string().min(1, 'The S3 access key id is required').max(256),
  secretAccessKey: z.string().min(1, 'The S3 secret access key is required').max(1024),
  /** Path-style URLs (`endpoint/bucket/key`), which most self-hosted stores need. Default false. */
  forcePathStyle: z.boolean().default(false),
});
export type S3Settings = z.infer<typeof s3SettingsSchema>;

/** Host key algorithms a supervisor may pin (what OpenSSH's sshd offers by default). */
export const SFTP_HOST_KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;
export type SftpHostKeyType = (typeof SFTP_HOST_KEY_TYPES)[number];

/** A pinned SFTP host key: the whole public key, or only its SHA-256 fingerprint. */
export type SftpHostKey = { kind: 'key'; type: SftpHostKeyType; base64: string } | { kind: 'fingerprint'; sha256: string };

const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;
const KEY_LINE = new RegExp(`(?:^|\\s)(${SFTP_HOST_KEY_TYPES.join('|')})\\s+([A-Za-z0-9+/]+={0,2})(?:\\s|$)`);

/**
 * Reads what a supervisor pastes as the SFTP server's host key: an OpenSSH public key line
 * (`ssh-ed25519 AAAA… comment`, as in the server's `/etc/ssh/ssh_host_*_key.pub`, or a
 * `known_hosts` line with the host names first) or a fingerprint (`SHA256:…`, as `ssh-keygen -lf`
 * prints it). The key's own type (inside its base64) must be the one named. Undefined when it
 * is neither.
 */
export function parseSftpHostKey(text: string): SftpHostKey | undefined {
  const value = text.trim();
  const fingerprint = FINGERPRINT.exec(value);
  if (fingerprint?.[1]) return { kind: 'fingerprint', sha256: fingerprint[1] };
  const line = KEY_LINE.exec(value);
  const type = line?.[1] as SftpHostKeyType | undefined;
  const base64 = line?.[2];
  if (!type || !base64) return undefined;
  let blob: string;
  try {
    blob = atob(base64);
  } catch {
    return undefined;
  }
  // SSH wire format (RFC 4253 §6.6): a uint32 length, then the key type's name.
  const length = ((blob.charCodeAt(0) << 24) | (blob.charCodeAt(1) << 16) | (blob.charCodeAt(2) << 8) | blob.charCodeAt(3)) >>> 0;
  if (blob.slice(4, 4 + length) !== type || blob.length <= 4 + length) return undefined;
  return { kind: 'key', type, base64 };
}

/** The canonical form a host key is stored and shown in: `type base64` or `SHA256:…`. */
export function formatSftpHostKey(key: SftpHostKey): string {
  return key.kind === 'key' ? `${key.type} ${key.base64}` : `SHA256:${key.sha256}`;
}

/** An SFTP server; a password, a private key (OpenSSH or PEM) or both. */
export const sftpSettingsSchema = z
  .object({
    host: z.string().trim().min(1, 'The SFTP host is required').max(255),
    port: z.number().int().min(1).max(65535).default(22),
    /** Folder the recordings go to (created when missing); relative paths start at the user's home. */
    path: z.string().trim().min(1).max(1024).default('.'),
    username: z.string().trim().min(1, 'The SFTP user is required').max(128),
    password: z.string().min(1).max(1024).nullable().default(null),
    privateKey: z.string().min(1).max(16_384).nullable().default(null),
    /**
     * The server's host key the composer accepts (see `parseSftpHostKey`), stored as
     * `formatSftpHostKey` writes it; none (the default) accepts any key, as before.
     */
    hostKey: z
      .string()
      .trim()
      .max(16_384)
      .nullable()
      .default(null)
      .refine((value) => value === null || value === '' || parseSftpHostKey(value) !== undefined, {
        error:
          'The SFTP host key must be an OpenSSH public key line (ssh-ed25519 AAAA…, ecdsa-sha2-nistp256 AAAA…, ssh-rsa AAAA…) or a SHA256:… fingerprint',
      })
      .transform((value) => {
        const key = value ? parseSftpHostKey(value) : undefined;
        return key ? formatSftpHostKey(key) : null;
      }),
  })
  .refine((s) => s.password !== null || s.privateKey !== null, {
    error: 'SFTP needs a password or a private key',
    path: ['password'],
  });
export type SftpSettings = z.infer<typeof sftpSettingsSchema>;

/** The metadata of one recording file, the same for every storage. Times are UTC ISO 8601. */
export const recordingMetadataSchema = z.object({
  fileName: z.string(),
  conversationId: z.string(),
  callId: z.string(),
  agentName: z.string(),
  /** The customer: name when known, and number or identity. */
  endUser: z.string(),
  leg: z.enum(RECORDING_FILE_LEGS),
  channelLayout: z.enum(RECORDING_CHANNEL_LAYOUTS),
  /** Absent in metadata filed before video recordings: those are all Ogg. */
  container: z.enum(RECORDING_CONTAINERS).optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number().int().nonnegative(),
});
export type RecordingMetadata = z.infer<typeof recordingMetadataSchema>;

/** The metadata as the `.csv` of a download: a header line and one row, RFC 4180 quoting. */
export function recordingMetadataCsv(metadata: RecordingMetadata): string {
  const columns: [string, string][] = [
    ['file_name', metadata.fileName],
    ['agent_name', metadata.agentName],
    ['end_user', metadata.endUser],
    ['conversation_id', metadata.conversationId],
    ['call_id', metadata.callId],
    ['leg', metadata.leg],
    ['channel_layout', metadata.channelLayout],
    ['start_utc', metadata.startedAt],
    ['end_utc', metadata.endedAt],
    ['duration_ms', String(metadata.durationMs)],
  ];
  const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return `${columns.map(([name]) => name).join(',')}\r\n${columns.map(([, value]) => quote(value)).join(',')}\r\n`;
}

/** The organisation's recording configuration as the console shows it: secrets only as "set". */
export interface RecordingConfigurationView {
  enabled: boolean;
  directions: RecordingDirections;
  videoMode: RecordingVideoMode;
  composition: RecordingComposition;
  storage: RecordingStorage;
  /** Recordings and deletion audit records older than this are deleted. 1..3650, default 90. */
  retentionDays: number;
  s3: (Omit<S3Settings, 'secretAccessKey'> & { hasSecretAccessKey: boolean }) | null;
  /** The host key is public: shown as stored. */
  sftp: (Omit<SftpSettings, 'password' | 'privateKey'> & { hasPassword: boolean; hasPrivateKey: boolean }) | null;
}

/**
 * PUT /api/recording-configuration. Every field is optional; S3 and SFTP settings are merged
 * onto what is stored, so an omitted secret keeps its value (`null` clears a password or key).
 * While recording is enabled only `{ enabled: false }` is accepted (SPEC §13).
 */
export const recordingConfigurationUpdateSchema = z
  .object({
    enabled: z.boolean(),
    directions: z.enum(RECORDING_DIRECTIONS),
    videoMode: z.enum(RECORDING_VIDEO_MODES),
    composition: z.enum(RECORDING_COMPOSITIONS),
    storage: z.enum(RECORDING_STORAGES),
    retentionDays: z.number().int().min(1, 'The retention period is at least 1 day').max(3650, 'The retention period is at most 3650 days'),
    s3: z
      .object({
        endpoint: z.string().nullable(),
        region: z.string(),
        bucket: z.string(),
        prefix: z.string(),
        accessKeyId: z.string(),
        secretAccessKey: z.string(),
        forcePathStyle: z.boolean(),
      })
      .partial()
      .strict(),
    sftp: z
      .object({
        host: z.string(),
        port: z.number(),
        path: z.string(),
        username: z.string(),
        password: z.string().nullable(),
        privateKey: z.string().nullable(),
        /** `null` or an empty string: accept any host key. */
        hostKey: z.string().nullable(),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();
export type RecordingConfigurationUpdate = z.infer<typeof recordingConfigurationUpdateSchema>;

/** POST /api/recording-configuration/sftp-host-key: the host key the server presents (to confirm, then save). */
export const sftpHostKeyFetchSchema = z
  .object({
    host: z.string().trim().min(1, 'The SFTP host is required').max(255),
    port: z.number().int().min(1, 'The SFTP port is 1 to 65535').max(65535, 'The SFTP port is 1 to 65535').default(22),
  })
  .strict();
export type SftpHostKeyFetch = z.infer<typeof sftpHostKeyFetchSchema>;

export interface SftpHostKeyFetched {
  /** `type base64`, ready to save as the settings' `hostKey`. */
  hostKey: string;
  /** `SHA256:…`, to compare with what the server's administrator gives. */
  fingerprint: string;
}
