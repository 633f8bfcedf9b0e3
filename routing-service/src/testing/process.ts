/**
 * The routing service as real child processes on one database and SFU: for tests that kill
 * an instance (SIGKILL) and start it again, or run several instances side by side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@cc/migrations';
import { startTestMedia } from './context.ts';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');

export interface RoutingProcess {
  url: string;
  start(): Promise<void>;
  /** Kills the process at once: no shutdown code runs, as in a crash. */
  kill(): Promise<void>;
}

async function routingProcess(env: Record<string, string>): Promise<RoutingProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  return {
    url,
    async start() {
      const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
        env: { ...process.env, ...env, PORT: String(port) },
        stdio: ['ignore', process.env.TEST_CHILD_LOGS ? 'inherit' : 'ignore', 'inherit'],
      });
      child = proc;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`routing service exited with ${proc.exitCode}`);
        const up = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(500) }).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('routing service did not start');
    },
    async kill() {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * `count` routing-service processes, started, sharing one test database and one SFU; `env`
 * adds to (or overrides) their configuration, e.g. a short `CUSTOMER_RECONNECT_GRACE_SECONDS`.
 */
export async function startProcessCluster(count: number, env: Record<string, string> = {}) {
  const media = await startTestMedia();
  const instances = await Promise.all(Array.from({ length: count }, () => routingProcess({ ...media.env, ...env })));
  await Promise.all(instances.map((i) => i.start()));
  return {
    t: media.t,
    instances,
    async close() {
      await Promise.all(instances.map((i) => i.kill()));
      await media.sfu.close();
      await media.t.drop();
    },
  };
}

/** One routing-service process, started. */
export async function startProcessContext() {
  const cluster = await startProcessCluster(1);
  const [one] = cluster.instances;
  if (!one) throw new Error('no instance');
  return { t: cluster.t, url: one.url, start: () => one.start(), kill: () => one.kill(), close: () => cluster.close() };
}
