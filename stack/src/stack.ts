/**
 * Starts the whole center on one machine: PostgreSQL (embedded unless DATABASE_URL is set),
 * migrations, the demo organisation in an empty database, the SFU, the recording composer
 * and the routing service as child processes. Used by `npm start` and by the end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, freePort, migrateToLatest, startEmbeddedPostgres, type EmbeddedCluster } from '@cc/migrations';
import { seedDemoIfEmpty, type DemoLogin } from '@cc/routing-service/seed';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER_BIN = '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker';

export interface StackOptions {
  /** Folder for the database, secrets and logs; `.data` at the repository root by default. */
  dataDir?: string;
  /** External PostgreSQL; embedded when absent. */
  databaseUrl?: string;
  /** Port of the routing service (the URL people open); a free one when 0. */
  port?: number;
  /** `inherit` prints service logs here; otherwise they go to files in dataDir. */
  logs?: 'inherit' | 'files';
  /** Extra environment for both services (e.g. TIMER_POLL_MS for tests). */
  env?: Record<string, string>;
  /** Create the demo organisation in an empty database (default true). */
  demo?: boolean;
  /** Extra Node.js flags per service name (e.g. `--cpu-prof` for a benchmark); none by default. */
  nodeArgs?: Partial<Record<ServiceName, string[]>>;
}

type ServiceName = 'sfu' | 'recording-composer' | 'routing-service';

export interface Stack {
  url: string;
  databaseUrl: string;
  logins: DemoLogin[];
  stop(): Promise<void>;
}

interface Secrets {
  mediaSecret: string;
  sfuControlSecret: string;
  /** Added with recording: a data folder made before it gets one at the next start. */
  composerControlSecret?: string;
  demoLogins: DemoLogin[];
}

/** Dev keys and demo passwords are made at first start and kept in the data folder, never in the repo. */
async function loadOrCreateSecrets(dataDir: string): Promise<Secrets> {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const existing = JSON.parse(await readFile(file, 'utf8')) as Secrets;
    if (existing.composerControlSecret) return existing;
    const upgraded = { ...existing, composerControlSecret: randomBytes(32).toString('base64url') };
    await writeFile(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded;
  }
  const word = () => randomBytes(9).toString('base64url');
  const secrets: Secrets = {
    mediaSecret: randomBytes(32).toString('base64url'),
    sfuControlSecret: randomBytes(32).toString('base64url'),
    composerControlSecret: randomBytes(32).toString('base64url'),
    demoLogins: [
      { role: 'supervisor', email: 'supervisor@demo.example', password: word() },
      { role: 'agent', email: 'agent1@demo.example', password: word() },
      { role: 'agent', email: 'agent2@demo.example', password: word() },
    ],
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function waitForHttp(
  url: string,
  child: ChildProcess,
  name: string,
  timeoutMs = 30_000,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited during start-up`);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${name} did not become ready at ${url} within ${timeoutMs} ms`);
}

function startService(name: ServiceName, entry: string, env: Record<string, string>, options: StackOptions, dataDir: string): ChildProcess {
  const logs = options.logs ?? 'files';
  const child = spawn(process.execPath, [...(options.nodeArgs?.[name] ?? []), '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: logs === 'inherit' ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
  });
  if (logs !== 'inherit') {
    const out = createWriteStream(path.join(dataDir, `${name}.log`), { flags: 'a' });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
  }
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = path.resolve(options.dataDir ?? path.join(ROOT, '.data'));
  await mkdir(dataDir, { recursive: true });
  const secrets = await loadOrCreateSecrets(dataDir);
  const children: ChildProcess[] = [];
  let cluster: EmbeddedCluster | undefined;

  const stop = async () => {
    await Promise.all(children.reverse().map(stopChild));
    await cluster?.stop();
  };

  try {
    let databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
    if (!databaseUrl) {
      cluster = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres') });
      databaseUrl = cluster.urlFor('postgres');
    }
    await migrateToLatest(databaseUrl);
    if (options.demo ?? true) {
      const db = createDb(databaseUrl, 2);
      try {
        await seedDemoIfEmpty(db, secrets.demoLogins);
      } finally {
        await db.destroy();
      }
    }

    const [signalPort, controlPort, composerPort] = [await freePort(), await freePort(), await freePort()];
    const port = options.port === 0 ? await freePort() : (options.port ?? 3000);
    const common = {
      MEDIA_SECRET: secrets.mediaSecret,
      SFU_CONTROL_SECRET: secrets.sfuControlSecret,
      MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? WORKER_BIN,
      ...options.env,
    };
    const sfu = startService(
      'sfu',
      'sfu/src/main.ts',
      { ...common, SFU_SIGNAL_PORT: String(signalPort), SFU_CONTROL_PORT: String(controlPort) },
      options,
      dataDir,
    );
    children.push(sfu);
    await waitForHttp(`http://127.0.0.1:${controlPort}/health`, sfu, 'sfu', 30_000, {
      authorization: `Bearer ${secrets.sfuControlSecret}`,
    });

    // Recordings (SPEC §13) on local disk under the data folder.
    const composerSecret = secrets.composerControlSecret ?? '';
    const composer = startService(
      'recording-composer',
      'recording-composer/src/main.ts',
      {
        COMPOSER_CONTROL_SECRET: composerSecret,
        COMPOSER_PORT: String(composerPort),
        RECORDINGS_DIR: path.join(dataDir, 'recordings'),
        // The durable upload queue and the recordings' rows.
        DATABASE_URL: databaseUrl,
        ...options.env,
      },
      options,
      dataDir,
    );
    children.push(composer);
    await waitForHttp(`http://127.0.0.1:${composerPort}/health`, composer, 'recording-composer', 30_000, {
      authorization: `Bearer ${composerSecret}`,
    });

    const routing = startService(
      'routing-service',
      'routing-service/src/main.ts',
      {
        ...common,
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        SFU_CONTROL_URL: `http://127.0.0.1:${controlPort}`,
        COMPOSER_CONTROL_URL: `http://127.0.0.1:${composerPort}`,
        COMPOSER_CONTROL_SECRET: composerSecret,
        // Local recordings are played and deleted from the composer's folder.
        RECORDINGS_DIR: path.join(dataDir, 'recordings'),
      },
      options,
      dataDir,
    );
    children.push(routing);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/api/health`, routing, 'routing-service');
    return { url, databaseUrl, logins: secrets.demoLogins, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
