/**
 * The routing service as a real child process, for tests that kill it (SIGKILL) and start it
 * again on the same database, port and SFU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@cc/migrations';
import { startTestMedia } from './context.ts';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');

export async function startProcessContext() {
  const media = await startTestMedia();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, ...media.env, PORT: String(port) },
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
  }

  /** Kills the process at once: no shutdown code runs, as in a crash. */
  async function kill(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  return {
    t: media.t,
    url,
    start,
    kill,
    async close() {
      await kill();
      await media.sfu.close();
      await media.t.drop();
    },
  };
}
