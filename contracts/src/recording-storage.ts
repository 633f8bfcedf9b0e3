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
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();
export type RecordingConfigurationUpdate = z.infer<typeof recordingConfigurationUpdateSchema>;
