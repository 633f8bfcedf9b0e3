/**
 * SPEC §13 durable uploads, against real PostgreSQL, local disk and a real S3 server (s3rver):
 * every file arrives once under the name reserved for it, through a storage outage and through
 * a composer killed in the middle of an upload.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '@cc/migrations';
import { createTestDatabase, type TestDatabase } from '@cc/migrations/testing';
import { probe } from '../testing/audio.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../testing/storage-servers.ts';
import { nth, organisation, spooledFile, startRequest, uploadQueue } from './testing.ts';

const BUCKET = 'recordings';
let t: TestDatabase;
let dir: string;
before(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'uploads-'));
});
after(async () => {
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function job(sessionId: string) {
  return t.db.selectFrom('recording_upload').selectAll().where('session_id', '=', sessionId).executeTakeFirstOrThrow();
}

/** Every key in the bucket, and one object's bytes written to disk for ffprobe. */
async function bucket(endpoint: string) {
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    const download = async (key: string) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const file = path.join(dir, `downloaded-${randomBytes(4).toString('hex')}.opus`);
      await writeFile(file, await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
      return file;
    };
    return { keys, download };
  } finally {
    s3.destroy();
  }
}

describe('upload queue (SPEC §13 storage)', () => {
  it('local disk: reserves one name per file (a second recording wanting it gets -2), stores once, empties the spool', async () => {
    const orgId = await organisation(t.db);
    const queue = uploadQueue(t.db, dir);
    queue.start();
    try {
      const first = startRequest(orgId, 'local');
      const second = { ...startRequest(orgId, 'local'), conversationId: first.conversationId };
      const name = `${first.conversationId}_Ada-Lovelace_Grace-Hopper_20261125100000.opus`;
      const stored = nth(queue, 'uploaded', 2);
      const firstFile = await spooledFile(dir, first, name);
      const [a] = await queue.enqueue(first, [firstFile]);
      const [b] = await queue.enqueue(second, [await spooledFile(dir, second, name)]);
      // A repeated stop enqueues again: same job, same name.
      const [again] = await queue.enqueue(first, [firstFile]);
      assert.equal(a?.fileName, name);
      assert.equal(b?.fileName, name.replace(/\.opus$/, '-2.opus'));
      assert.equal(again?.fileName, name);
      await stored;
      assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.opus')).sort(), [name, b?.fileName].sort());
      assert.deepEqual(await readdir(path.join(dir, '.spool')), []);
      assert.equal((await probe(path.join(dir, name))).codec, 'opus');
      const row = await job(first.recordingId);
      assert.equal(row.state, 'done');
      assert.equal(row.metadata.agentName, 'Ada Lovelace');
      assert.equal(row.metadata.fileName, name);
    } finally {
      await queue.close();
    }
  });

  it('S3: retries with back-off while the store is down, then stores the file exactly once', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const orgId = await organisation(t.db, {
      storage: 's3',
      storage_s3: { endpoint, region: 'us-east-1', bucket: BUCKET, prefix: 'calls/', forcePathStyle: true, ...S3RVER_CREDENTIALS },
    });
    const queue = uploadQueue(t.db, dir);
    queue.start();
    const s3dir = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
    try {
      const request = startRequest(orgId, 's3');
      const name = `${request.conversationId}_outage.opus`;
      // Nothing listens on the port yet: the store is down.
      const retried = nth(queue, 'retry', 3);
      await queue.enqueue(request, [await spooledFile(dir, request, name)]);
      await retried;
      const down = await job(request.recordingId);
      assert.equal(down.state, 'pending');
      assert.ok(down.attempts >= 3 && down.last_error, `attempts ${down.attempts}`);
      assert.ok(down.run_at.getTime() > Date.now() - 50, 'the next attempt is scheduled later');

      const stored = nth(queue, 'uploaded');
      const server = await startS3rver({ dir: s3dir, port, bucket: BUCKET });
      try {
        await stored;
        const { keys, download } = await bucket(endpoint);
        assert.deepEqual(keys, [`calls/${name}`]);
        const info = await probe(await download(`calls/${name}`));
        assert.equal(info.codec, 'opus');
        assert.equal(info.channels, 2);
        assert.ok(Math.abs(info.durationS - 2) < 0.1);
        await assert.rejects(access(path.join(dir, '.spool', request.recordingId)), 'the spool is emptied once stored');
      } finally {
        await server.stop();
      }
    } finally {
      await queue.close();
      await rm(s3dir, { recursive: true, force: true });
    }
  });

  it('a composer killed in the middle of an upload: the next one takes the job over and the file arrives once', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const orgId = await organisation(t.db, {
      storage: 's3',
      storage_s3: { endpoint, region: 'us-east-1', bucket: BUCKET, prefix: '', forcePathStyle: true, ...S3RVER_CREDENTIALS },
    });
    const node = `killed-${randomBytes(4).toString('hex')}`;
    const request = startRequest(orgId, 's3');
    const name = `${request.conversationId}_killed.opus`;
    // Enqueued by a queue that does not upload (not started): the composer processes do.
    await uploadQueue(t.db, dir, { node }).enqueue(request, [await spooledFile(dir, request, name)]);

    // A store that accepts the upload's connection and never answers: the upload hangs in flight.
    const hung = new Set<Socket>();
    const blackHole: Server = createServer((socket) => hung.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(port, '127.0.0.1', resolve));
    const s3dir = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
    let composer = startComposerProcess(node);
    try {
      await until(async () => (await job(request.recordingId)).attempts === 1 && hung.size > 0, 'the composer claims the job and connects');
      await kill(composer);
      for (const socket of hung) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));

      const server = await startS3rver({ dir: s3dir, port, bucket: BUCKET });
      try {
        composer = startComposerProcess(node);
        await until(async () => (await job(request.recordingId)).state === 'done', 'the job is taken over after its lease and done');
        const row = await job(request.recordingId);
        assert.equal(row.attempts, 2);
        const { keys, download } = await bucket(endpoint);
        assert.deepEqual(keys, [name]);
        assert.equal((await probe(await download(name))).codec, 'opus');
      } finally {
        await server.stop();
      }
    } finally {
      await kill(composer);
      await rm(s3dir, { recursive: true, force: true });
    }
  });
});

const COMPOSER_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.ts');

function startComposerProcess(node: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', COMPOSER_MAIN], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      COMPOSER_CONTROL_SECRET: randomBytes(32).toString('hex'),
      COMPOSER_PORT: '0',
      RECORDINGS_DIR: dir,
      DATABASE_URL: t.url,
      COMPOSER_NODE: node,
      COMPOSER_UPLOAD_LEASE_MS: '1500',
      COMPOSER_UPLOAD_POLL_MS: '100',
      COMPOSER_UPLOAD_RETRY_BASE_MS: '100',
      LOG_LEVEL: 'error',
    },
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Polls the database (the only place another process's progress shows) until `ok`, within 30 s. */
async function until(ok: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
