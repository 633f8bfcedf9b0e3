/** The one place that reads the environment; everything else receives a typed Config. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const secret = z.string().min(32, 'must be at least 32 characters');

const schema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Base URL people use to reach the center; call links are made from it. */
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z.string().min(1),
  /**
   * Database connections of this instance. Default 10: transactions are short, and each
   * connection keeps its own prepared statements and plans, so more than the database's cores
   * can run mostly adds waiting and planning.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  /** Signs media join tokens; shared with the SFU. */
  MEDIA_SECRET: secret,
  SFU_CONTROL_URL: z.url().default('http://127.0.0.1:4002'),
  SFU_CONTROL_SECRET: secret,
  /** Recording composer's control API (SPEC §13); calls are not recorded without it. */
  COMPOSER_CONTROL_URL: z.url().optional(),
  COMPOSER_CONTROL_SECRET: secret.optional(),
  /**
   * How long the stop of a recording keeps retrying a composer that cannot be reached (it may
   * be restarting and resuming its recordings) before the recording is failed, in seconds. Default 120.
   */
  COMPOSER_STOP_RETRY_SECONDS: z.coerce.number().int().min(0).max(3600).default(120),
  /** The recording composer's local disk storage, for playing, downloading and deleting local recordings. */
  RECORDINGS_DIR: z
    .string()
    .min(1)
    .default(path.join('.data', 'recordings'))
    .transform((dir) => path.resolve(dir)),
  /** How often the recording retention sweep runs, in ms. Default 3600000 (hourly). */
  RECORDING_RETENTION_SWEEP_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),
  /** How often recordings a routing instance left undone (never stopped, never filed) are taken up, in ms. Default 60000. */
  RECORDING_ORPHAN_SWEEP_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /**
   * How often every queue with a waiting call gets an assignment pass, in ms, besides the
   * passes its events start (a safety net for a call a pass skipped while another transaction
   * held it). Default 5000.
   */
  ASSIGNMENT_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** Folder of the built agent desktop, served at `/`. */
  DESKTOP_BUILD_DIR: z.string().default(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../agent-desktop/build')),
  /** How often due timers are looked for, in ms, besides the wake-up at the next due time. */
  TIMER_POLL_MS: z.coerce.number().int().min(20).max(10_000).default(500),
  /**
   * How long a call waits for a customer whose connection dropped (network, a routing-service
   * instance that died) to come back before it ends, in seconds. Default 15.
   */
  CUSTOMER_RECONNECT_GRACE_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = Omit<z.infer<typeof schema>, 'PUBLIC_URL'> & { PUBLIC_URL: string };

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid routing-service configuration: ${problems}`);
  }
  const c = parsed.data;
  return { ...c, PUBLIC_URL: (c.PUBLIC_URL ?? `http://${c.HOST === '0.0.0.0' ? '127.0.0.1' : c.HOST}:${c.PORT}`).replace(/\/$/, '') };
}
