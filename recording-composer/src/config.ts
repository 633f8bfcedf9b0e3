/**
 * The recording composer's configuration: the only module that reads the environment.
 * Everything else receives a validated `ComposerConfig`.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const envSchema = z.object({
  /** Bearer secret of the composer's control API (the routing service holds it too). Required, ≥ 32 chars. */
  COMPOSER_CONTROL_SECRET: z
    .string({ error: 'COMPOSER_CONTROL_SECRET is required' })
    .min(32, 'COMPOSER_CONTROL_SECRET must be at least 32 characters'),
  /** Control API listen host. Default 127.0.0.1. */
  COMPOSER_HOST: z.string().min(1).default('127.0.0.1'),
  /** Control API listen port. Default 4003 (0 picks a free port). */
  COMPOSER_PORT: z.coerce.number().int().min(0).max(65535).default(4003),
  /** IP the legs' UDP sockets bind; the SFU sends there. Default 127.0.0.1. */
  COMPOSER_RTP_IP: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
  /** PostgreSQL: the durable upload queue and the recordings' rows. Required. */
  DATABASE_URL: z.string({ error: 'DATABASE_URL is required' }).regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL'),
  /** This composer's node name: it uploads the files its own spool holds. Default the host name. */
  COMPOSER_NODE: z.string().min(1).max(128).default(os.hostname()),
  /** How long an upload's claim lasts unless renewed; a crashed composer's uploads resume after it. Default 60000. */
  COMPOSER_UPLOAD_LEASE_MS: z.coerce.number().int().min(300).max(3_600_000).default(60_000),
  /** First retry delay of a failed upload, doubled per attempt. Default 1000. */
  COMPOSER_UPLOAD_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  /** Longest delay between two attempts. Default 300000 (5 min). */
  COMPOSER_UPLOAD_RETRY_MAX_MS: z.coerce.number().int().min(10).max(3_600_000).default(300_000),
  /** How often due uploads are looked for. Default 1000. */
  COMPOSER_UPLOAD_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Uploads at a time. Default 4. */
  COMPOSER_UPLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Where finished recordings are stored (local disk storage). Default `.data/recordings` under the working directory. */
  RECORDINGS_DIR: z.string().min(1).default(path.join('.data', 'recordings')),
  /** How long a packet waits for late ones to be put back in order, in ms. Default 200. */
  COMPOSER_JITTER_MS: z.coerce.number().int().min(0).max(2000).default(200),
  /** pino log level. Default info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface ComposerConfig {
  controlSecret: string;
  host: string;
  port: number;
  rtpIp: string;
  recordingsDir: string;
  jitterMs: number;
  databaseUrl: string;
  node: string;
  uploads: { leaseMs: number; retryBaseMs: number; retryMaxMs: number; pollMs: number; concurrency: number };
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates `env` (process.env in main.ts, a literal object in tests). Throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): ComposerConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid recording composer configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  return {
    controlSecret: e.COMPOSER_CONTROL_SECRET,
    host: e.COMPOSER_HOST,
    port: e.COMPOSER_PORT,
    rtpIp: e.COMPOSER_RTP_IP,
    recordingsDir: path.resolve(e.RECORDINGS_DIR),
    jitterMs: e.COMPOSER_JITTER_MS,
    databaseUrl: e.DATABASE_URL,
    node: e.COMPOSER_NODE,
    uploads: {
      leaseMs: e.COMPOSER_UPLOAD_LEASE_MS,
      retryBaseMs: e.COMPOSER_UPLOAD_RETRY_BASE_MS,
      retryMaxMs: e.COMPOSER_UPLOAD_RETRY_MAX_MS,
      pollMs: e.COMPOSER_UPLOAD_POLL_MS,
      concurrency: e.COMPOSER_UPLOAD_CONCURRENCY,
    },
    logLevel: e.LOG_LEVEL,
  };
}
