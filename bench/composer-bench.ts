/**
 * What the recording benchmarks share: embedded PostgreSQL migrated in a temporary folder, an
 * organisation, the recording composer as its own process (uploads to local disk, polled every
 * 200 ms), and its CPU time read from /proc.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDb, migrateToLatest, startEmbeddedPostgres } from '@cc/migrations';
import { composerProcess } from '@cc/recording-composer/testing/process';

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export async function startComposerBench(name: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `cc-bench-${name}-`));
  const postgres = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), persistent: false });
  const databaseUrl = postgres.urlFor('postgres');
  await migrateToLatest(databaseUrl);
  const db = createDb(databaseUrl, 2);
  const org = await db.insertInto('organisation').values({ name: 'Bench' }).returning('id').executeTakeFirstOrThrow();
  const composer = await composerProcess({
    RECORDINGS_DIR: path.join(dir, 'recordings'),
    DATABASE_URL: databaseUrl,
    COMPOSER_UPLOAD_POLL_MS: '200',
  });
  await composer.start();
  return {
    db,
    organisationId: org.id,
    composer: composer.client,
    /** The composer process's CPU seconds so far. */
    composerCpuSeconds: () => cpuSeconds(composer.pid ?? 0),
    async close() {
      await composer.stop();
      await db.destroy();
      await postgres.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
