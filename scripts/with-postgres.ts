/**
 * Runs a command with a throw-away embedded PostgreSQL cluster: sets TEST_DATABASE_ADMIN_URL,
 * runs the command, stops and deletes the cluster, and exits with the command's code.
 * Usage: node --import tsx scripts/with-postgres.ts <command> [args...]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '@cc/migrations';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: with-postgres <command> [args...]\n');
  process.exit(2);
}
const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-pg-'));
const cluster = await startEmbeddedPostgres({ dir, persistent: false, fast: true });
const child = spawn(command, args, {
  stdio: 'inherit',
  shell: true,
  env: { ...process.env, TEST_DATABASE_ADMIN_URL: cluster.adminUrl },
});
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await cluster.stop();
await rm(dir, { recursive: true, force: true });
process.exit(code);
