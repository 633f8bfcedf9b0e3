/** Shared set-up of the upload tests: an organisation, spooled Opus files and queues over a test database. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { ComposerStart, RecordingStorage } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { Insertable, Kysely } from 'kysely';
import { openStore } from '../storage/open-store.ts';
import { UploadQueue, type SpooledFile, type UploadQueueOptions } from './UploadQueue.ts';

const run = promisify(execFile);

export async function organisation(
  db: Kysely<Database>,
  storage: Omit<Insertable<Database['recording_configuration']>, 'organisation_id'> = {},
): Promise<string> {
  const org = await db
    .insertInto('organisation')
    .values({ name: `Org ${randomUUID()}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('recording_configuration')
    .values({ organisation_id: org.id, enabled: true, ...storage })
    .execute();
  return org.id;
}

export function startRequest(organisationId: string, storage: RecordingStorage): ComposerStart {
  return {
    recordingId: randomUUID(),
    organisationId,
    storage,
    callId: randomUUID(),
    conversationId: randomUUID(),
    agentName: 'Ada Lovelace',
    endUser: 'Grace Hopper +44 20 7946 0958',
    composition: 'merged',
    legs: [
      { role: 'agent', peerId: 'agent-1', kind: 'audio' },
      { role: 'customer', peerId: 'customer-1', kind: 'audio' },
    ],
  };
}

/** A real stereo Ogg Opus file (`seconds` of tone) in the spool, as a stopped recording leaves it. */
export async function spooledFile(dir: string, request: ComposerStart, fileName: string, seconds = 2): Promise<SpooledFile> {
  const spool = path.join(dir, '.spool', request.recordingId);
  await mkdir(spool, { recursive: true });
  const spoolPath = path.join(spool, 'merged.opus');
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `sine=f=440:d=${seconds}`, '-ac', '2', '-c:a', 'libopus', '-y', spoolPath]);
  const startedAt = new Date('2026-11-25T10:00:00Z');
  return {
    fileName,
    spoolPath,
    leg: 'merged',
    channelLayout: 'stereo_agent_left_customer_right',
    container: 'ogg',
    codecs: ['opus'],
    transcoded: false,
    startedAt: startedAt.toISOString(),
    endedAt: new Date(startedAt.getTime() + seconds * 1000).toISOString(),
    durationMs: seconds * 1000,
    bytes: 0,
  };
}

export function uploadQueue(db: Kysely<Database>, dir: string, options: Partial<UploadQueueOptions> = {}): UploadQueue {
  return new UploadQueue({
    db,
    node: 'test-node',
    leaseMs: 5000,
    retryBaseMs: 50,
    retryMaxMs: 400,
    pollMs: 100,
    concurrency: 2,
    now: Date.now,
    logger: pino({ level: 'silent' }),
    openStore: (organisationId, storage) => openStore(db, organisationId, storage, dir),
    ...options,
  });
}

/** Resolves at the `n`-th event `name` of `queue` (counting from now). */
export function nth(queue: UploadQueue, name: 'uploaded' | 'retry', n = 1): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const on = () => {
      if (++seen < n) return;
      queue.off(name, on);
      resolve();
    };
    queue.on(name, on);
  });
}
