/**
 * Recording storages (SPEC §13), end to end: a supervisor points the organisation's recordings
 * at an S3-compatible store (a real s3rver) or at SFTP (a real OpenSSH sshd, by password or by
 * key) through the console's API, a real call is made in Chromium, and what the storage server
 * itself holds afterwards is read back: one Ogg Opus file per leg (mono) and the merged stereo
 * file, each as long as the call, each once, and on SFTP its `.json` metadata beside it.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { freePort, type Database } from '@cc/migrations';
import { probe } from '@cc/recording-composer/testing/audio';
import {
  S3RVER_CREDENTIALS,
  s3Objects,
  sshServer,
  startS3rver,
  type S3Server,
  type SshServer,
} from '@cc/recording-composer/testing/storage-servers';
import { expect, test, type Org } from '../fixtures/center.ts';
import { recordedCall } from '../fixtures/recording.ts';

const BUCKET = 'recordings';
const END_USER = '+44 20 7946 0958';

let dir: string;
let s3: S3Server;
let sshd: SshServer;
test.beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-recording-storage-'));
  // One after the other, so that a failing start leaves only servers afterAll knows to stop.
  s3 = await startS3rver({ dir: path.join(dir, 's3rver'), port: await freePort(), bucket: BUCKET });
  sshd = await sshServer(await freePort());
});
test.afterAll(async () => {
  await Promise.all([s3?.stop(), sshd?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The organisation's one call and its recording files, once every file is stored (ready). */
async function storedFiles(db: Kysely<Database>, org: Org, legs: string[]) {
  const call = await db
    .selectFrom('call')
    .select(['id', 'conversation_id', 'answered_at', 'ended_at'])
    .where('organisation_id', '=', org.organisationId)
    .executeTakeFirstOrThrow();
  const rows = () =>
    db.selectFrom('recording').select(['leg', 'status', 'file_name', 'error']).where('call_id', '=', call.id).orderBy('leg').execute();
  await expect
    .poll(async () => (await rows()).map((r) => `${r.leg}:${r.status}${r.error ? ` (${r.error})` : ''}`), { timeout: 20_000 })
    .toEqual(legs.map((leg) => `${leg}:ready`));
  const files = (await rows()).map((r) => ({ leg: r.leg, fileName: r.file_name ?? '' }));
  const callSeconds = ((call.ended_at?.getTime() ?? 0) - (call.answered_at?.getTime() ?? 0)) / 1000;
  return { call, files, callSeconds };
}

/** Opus, stereo for the merged file and mono for a leg, as long as the call (±0.5 s). */
async function expectRecording(file: string, leg: string, callSeconds: number): Promise<void> {
  const info = await probe(file);
  expect(info.codec, leg).toBe('opus');
  expect(info.channels, leg).toBe(leg === 'merged' ? 2 : 1);
  expect(Math.abs(info.durationS - callSeconds), `${leg}: ${info.durationS} s, call ${callSeconds} s`).toBeLessThan(0.5);
}

test('S3 storage: the per-leg files and the merged stereo file of a call are objects in the bucket, once each', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
  request,
}) => {
  const prefix = 'calls/';
  const { org } = await recordedCall({ seedOrg, agentPage, customerPage, db, request }, 'audio', {
    composition: 'merged',
    storage: {
      storage: 's3',
      s3: { endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET, prefix, forcePathStyle: true, ...S3RVER_CREDENTIALS },
    },
  });
  const { call, files, callSeconds } = await storedFiles(db, org, ['agent', 'customer', 'merged']);
  expect(files.find((f) => f.leg === 'merged')?.fileName).toMatch(
    new RegExp(`^${call.conversation_id}_Ada-Lovelace_\\+44-20-7946-0958_\\d{14}\\.opus$`),
  );

  // What the S3 server holds (only this test writes to it): exactly these three objects.
  const objects = await s3Objects(s3.endpoint, BUCKET);
  expect(objects.map((o) => o.key)).toEqual(files.map((f) => `${prefix}${f.fileName}`).sort());
  for (const file of files) {
    const downloaded = path.join(dir, `s3-${file.fileName}`);
    await writeFile(downloaded, objects.find((o) => o.key === `${prefix}${file.fileName}`)?.body ?? Buffer.alloc(0));
    await expectRecording(downloaded, file.leg, callSeconds);
  }
});

/** Records one call to an SFTP folder of the sshd, logging in with `auth`, and checks the folder. */
async function sftpCall(
  fixtures: Parameters<typeof recordedCall>[0],
  options: { folder: string; auth: 'password' | 'key'; composition: 'merged' | 'per_leg'; legs: string[] },
): Promise<void> {
  const folder = path.join(sshd.uploadDir, options.folder);
  const { org } = await recordedCall(fixtures, 'audio', {
    composition: options.composition,
    storage: {
      storage: 'sftp',
      sftp: {
        host: '127.0.0.1',
        port: sshd.port,
        path: folder,
        username: sshd.user,
        password: options.auth === 'password' ? sshd.password : null,
        privateKey: options.auth === 'key' ? sshd.privateKey : null,
        // Pinned as the console's "Fetch host key" would save it.
        hostKey: sshd.hostKey,
      },
    },
  });
  const { call, files, callSeconds } = await storedFiles(fixtures.db, org, options.legs);

  // The folder on the SFTP server's disk: each file and its .json, nothing else (no leftover .part, no "-2").
  expect((await readdir(folder)).sort()).toEqual(files.flatMap((f) => [f.fileName, `${f.fileName}.json`]).sort());
  for (const file of files) {
    const stored = path.join(folder, file.fileName);
    await expectRecording(stored, file.leg, callSeconds);
    const metadata = JSON.parse(await readFile(`${stored}.json`, 'utf8')) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      fileName: file.fileName,
      conversationId: call.conversation_id,
      callId: call.id,
      agentName: 'Ada Lovelace',
      endUser: END_USER,
      leg: file.leg,
      channelLayout: file.leg === 'merged' ? 'stereo_agent_left_customer_right' : 'mono',
    });
    expect(Date.parse(String(metadata['endedAt'])) - Date.parse(String(metadata['startedAt']))).toBeGreaterThan(0);
  }
}

test('SFTP storage with a password: each file of a call and its .json metadata sit in the folder, once each', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
  request,
}) => {
  await sftpCall(
    { seedOrg, agentPage, customerPage, db, request },
    { folder: 'by-password', auth: 'password', composition: 'merged', legs: ['agent', 'customer', 'merged'] },
  );
});

test('SFTP storage with a private key: one file per leg and its .json metadata in the folder, once each', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
  request,
}) => {
  await sftpCall(
    { seedOrg, agentPage, customerPage, db, request },
    { folder: 'by-key', auth: 'key', composition: 'per_leg', legs: ['agent', 'customer'] },
  );
});
