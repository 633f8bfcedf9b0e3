/**
 * The SFU's configuration: the only module that reads the environment. Everything else
 * receives a validated `SfuConfig`.
 */
import os from 'node:os';
import { z } from 'zod';

/** Debian's packaged mediasoup 3.8.4 worker (see ARCHITECTURE.md, "mediasoup version"). */
export const DEFAULT_WORKER_BIN = '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const secret = (name: string) => z.string({ error: `${name} is required` }).min(32, `${name} must be at least 32 characters`);

const envSchema = z
  .object({
    /** HS256 secret shared with the routing service, used to verify join tokens. Required. */
    MEDIA_SECRET: secret('MEDIA_SECRET'),
    /** Bearer secret of the control API. Required. */
    SFU_CONTROL_SECRET: secret('SFU_CONTROL_SECRET'),
    /** Signaling (Socket.IO) listen host. Default 127.0.0.1. */
    SFU_SIGNAL_HOST: z.string().min(1).default('127.0.0.1'),
    /** Signaling listen port. Default 4001 (0 picks a free port). */
    SFU_SIGNAL_PORT: port(4001),
    /** URL browsers use to reach signaling. Default http://<SFU_SIGNAL_HOST>:<bound signaling port>. */
    SFU_PUBLIC_URL: z.url().optional(),
    /** Control API listen host. Default 127.0.0.1. */
    SFU_CONTROL_HOST: z.string().min(1).default('127.0.0.1'),
    /** Control API listen port. Default 4002 (0 picks a free port). */
    SFU_CONTROL_PORT: port(4002),
    /** IP the WebRTC transports listen on. Default 127.0.0.1. */
    SFU_LISTEN_IP: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
    /** Public IP announced in ICE candidates (behind NAT). Default: none. */
    SFU_ANNOUNCED_IP: z.string().min(1).optional(),
    /** Lowest RTC (UDP/TCP) port. Default 40000. */
    SFU_RTC_MIN_PORT: port(40000),
    /** Highest RTC port. Default 40999. */
    SFU_RTC_MAX_PORT: port(40999),
    /** Number of mediasoup workers. Default: number of CPU cores. */
    SFU_WORKERS: z.coerce.number().int().min(1).max(256).default(os.availableParallelism()),
    /** A room with no peers is closed after this many seconds. Default 600. */
    SFU_ROOM_IDLE_SECONDS: z.coerce.number().int().min(1).default(600),
    /** pino log level. Default info. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** mediasoup worker binary. Default: Debian's packaged worker. */
    MEDIASOUP_WORKER_BIN: z.string().min(1).default(DEFAULT_WORKER_BIN),
  })
  .refine((env) => env.SFU_RTC_MIN_PORT <= env.SFU_RTC_MAX_PORT, {
    message: 'SFU_RTC_MIN_PORT must not be greater than SFU_RTC_MAX_PORT',
    path: ['SFU_RTC_MIN_PORT'],
  });

export interface SfuConfig {
  mediaSecret: string;
  controlSecret: string;
  signal: { host: string; port: number; publicUrl: string | undefined };
  control: { host: string; port: number };
  rtc: { listenIp: string; announcedIp: string | undefined; minPort: number; maxPort: number };
  workers: number;
  roomIdleSeconds: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  workerBin: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates `env` (process.env in main.ts, a literal object in tests). Throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): SfuConfig {
  // Empty strings mean "unset", as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid SFU configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  return {
    mediaSecret: e.MEDIA_SECRET,
    controlSecret: e.SFU_CONTROL_SECRET,
    signal: { host: e.SFU_SIGNAL_HOST, port: e.SFU_SIGNAL_PORT, publicUrl: e.SFU_PUBLIC_URL },
    control: { host: e.SFU_CONTROL_HOST, port: e.SFU_CONTROL_PORT },
    rtc: { listenIp: e.SFU_LISTEN_IP, announcedIp: e.SFU_ANNOUNCED_IP, minPort: e.SFU_RTC_MIN_PORT, maxPort: e.SFU_RTC_MAX_PORT },
    workers: e.SFU_WORKERS,
    roomIdleSeconds: e.SFU_ROOM_IDLE_SECONDS,
    logLevel: e.LOG_LEVEL,
    workerBin: e.MEDIASOUP_WORKER_BIN,
  };
}
