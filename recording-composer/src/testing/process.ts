/**
 * The recording composer as a real child process (its own `main.ts`), for tests that kill it
 * (SIGKILL: no shutdown code runs, as in a crash) and start it again on the same spool,
 * node name and control port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@cc/migrations';
import { ComposerControlClient } from '../control-client.ts';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');

export interface ComposerProcess {
  url: string;
  /** The control API's bearer secret (the routing service needs it too). */
  secret: string;
  client: ComposerControlClient;
  /** Starts the process and resolves once its control API answers (within 20 s). */
  start(): Promise<void>;
  /** Kills the process at once. Safe when it is not running. */
  kill(): Promise<void>;
  /** Asks the process to finish (SIGTERM: recordings in progress are stopped and queued) and waits for it. Safe when it is not running. */
  stop(): Promise<void>;
  /** The running process's id (benchmarks read its CPU time); undefined when it is not running. */
  readonly pid: number | undefined;
}

/** `env` adds to the composer's configuration (RECORDINGS_DIR, DATABASE_URL, COMPOSER_NODE…). */
export async function composerProcess(env: Record<string, string>): Promise<ComposerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('hex');
  let child: ChildProcess | null = null;
  const end = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };
  return {
    url,
    secret,
    client: new ComposerControlClient(url, secret),
    async start() {
      const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
        env: { ...process.env, LOG_LEVEL: 'warn', ...env, COMPOSER_CONTROL_SECRET: secret, COMPOSER_PORT: String(port) },
        stdio: ['ignore', process.env['TEST_CHILD_LOGS'] ? 'inherit' : 'ignore', 'inherit'],
      });
      child = proc;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`the composer exited with ${proc.exitCode}`);
        const up = await fetch(`${url}/health`, { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(500) }).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the composer did not start');
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    get pid() {
      return child?.pid;
    },
  };
}
