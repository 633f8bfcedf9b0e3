/**
 * SPEC §13 SFTP storage against OpenSSH's sshd on loopback: password and key logins, the
 * `.json` metadata beside each recording, and a server down for a while: the upload is retried
 * and the recording arrives once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@cc/migrations';
import { createTestDatabase, type TestDatabase } from '@cc/migrations/testing';
import { probe } from '../testing/audio.ts';
import { sshServer, type SshServer } from '../testing/storage-servers.ts';
import { nth, organisation, spooledFile, startRequest, uploadQueue } from '../uploads/testing.ts';
import type { UploadQueue } from '../uploads/UploadQueue.ts';

let t: TestDatabase;
let dir: string;
let sshd: SshServer;
let queue: UploadQueue;
before(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'sftp-uploads-'));
  sshd = await sshServer(await freePort());
  queue = uploadQueue(t.db, dir);
  queue.start();
});
after(async () => {
  await queue.close();
  await sshd.close();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function sftpOrganisation(auth: 'password' | 'key', folder: string, hostKey: string | null = null): Promise<string> {
  return organisation(t.db, {
    storage: 'sftp',
    storage_sftp: {
      host: '127.0.0.1',
      port: sshd.port,
      path: path.join(sshd.uploadDir, folder),
      username: sshd.user,
      password: auth === 'password' ? sshd.password : null,
      privateKey: auth === 'key' ? sshd.privateKey : null,
      hostKey,
    },
  });
}

/** Uploads one spooled file for `orgId` and returns the folder's listing once it is stored. */
async function upload(orgId: string, folder: string, name: string): Promise<string[]> {
  const request = startRequest(orgId, 'sftp');
  const stored = nth(queue, 'uploaded');
  await queue.enqueue(request, [await spooledFile(dir, request, name)]);
  await stored;
  return (await readdir(path.join(sshd.uploadDir, folder))).sort();
}

describe('SFTP storage (SPEC §13)', () => {
  it('stores the recording and its .json metadata, logging in with a password', async () => {
    const name = 'conv-1_Ada-Lovelace_Grace-Hopper_20261125100000.opus';
    assert.deepEqual(await upload(await sftpOrganisation('password', 'by-password'), 'by-password', name), [name, `${name}.json`]);
    const file = path.join(sshd.uploadDir, 'by-password', name);
    const info = await probe(file);
    assert.equal(info.codec, 'opus');
    assert.equal(info.channels, 2);
    const metadata = JSON.parse(await readFile(`${file}.json`, 'utf8')) as Record<string, unknown>;
    assert.equal(metadata['agentName'], 'Ada Lovelace');
    assert.equal(metadata['endUser'], 'Grace Hopper +44 20 7946 0958');
    assert.equal(metadata['channelLayout'], 'stereo_agent_left_customer_right');
    assert.equal(metadata['startedAt'], '2026-11-25T10:00:00.000Z');
    assert.equal(metadata['endedAt'], '2026-11-25T10:00:02.000Z');
    assert.ok(typeof metadata['conversationId'] === 'string' && typeof metadata['callId'] === 'string');
  });

  it('logs in with a private key', async () => {
    const name = 'conv-2_key.opus';
    assert.deepEqual(await upload(await sftpOrganisation('key', 'by-key'), 'by-key', name), [name, `${name}.json`]);
  });

  it('keeps retrying while the server is down, and the recording arrives once when it is back', async () => {
    const orgId = await sftpOrganisation('password', 'outage');
    await sshd.stop();
    const request = startRequest(orgId, 'sftp');
    const name = 'conv-3_outage.opus';
    const retried = nth(queue, 'retry', 2);
    await queue.enqueue(request, [await spooledFile(dir, request, name)]);
    await retried;
    const stored = nth(queue, 'uploaded');
    await sshd.start();
    await stored;
    assert.deepEqual((await readdir(path.join(sshd.uploadDir, 'outage'))).sort(), [name, `${name}.json`]);
    const row = await t.db
      .selectFrom('recording_upload')
      .selectAll()
      .where('session_id', '=', request.recordingId)
      .executeTakeFirstOrThrow();
    assert.equal(row.state, 'done');
    assert.ok(row.attempts >= 3, `attempts ${row.attempts}`);
  });

  it('with a host key set: stores when the server presents that key (or its fingerprint)', async () => {
    const name = 'conv-4_pinned.opus';
    assert.deepEqual(await upload(await sftpOrganisation('password', 'pinned-key', sshd.hostKey), 'pinned-key', name), [
      name,
      `${name}.json`,
    ]);
    assert.deepEqual(
      await upload(await sftpOrganisation('key', 'pinned-fingerprint', sshd.hostKeyFingerprint), 'pinned-fingerprint', name),
      [name, `${name}.json`],
    );
  });

  it(
    'refuses a server whose host key does not match: nothing is sent, the job says why and retries until the key is corrected',
    { timeout: 60_000 },
    async () => {
      // Another real ed25519 key: what a server impersonating ours would present.
      const other = path.join(dir, 'other_host_key');
      await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const wrongKey = (await readFile(`${other}.pub`, 'utf8')).trim();
      const orgId = await sftpOrganisation('password', 'mismatch', wrongKey);
      const request = startRequest(orgId, 'sftp');
      const name = 'conv-5_mismatch.opus';
      const retried = nth(queue, 'retry', 2);
      await queue.enqueue(request, [await spooledFile(dir, request, name)]);
      await retried;
      const row = await t.db
        .selectFrom('recording_upload')
        .selectAll()
        .where('session_id', '=', request.recordingId)
        .executeTakeFirstOrThrow();
      assert.equal(row.state, 'pending');
      assert.match(
        row.last_error ?? '',
        new RegExp(
          `^SFTP host key does not match the configured one: 127\\.0\\.0\\.1:${sshd.port} presented ${escape(sshd.hostKeyFingerprint)} \\(ssh-ed25519\\), the settings expect SHA256:`,
        ),
      );
      await assert.rejects(readdir(path.join(sshd.uploadDir, 'mismatch')), /ENOENT/, 'nothing was sent, not even the folder');

      // The supervisor pastes the right key: the next attempt stores the file.
      const stored = nth(queue, 'uploaded');
      const settings = await t.db
        .selectFrom('recording_configuration')
        .select('storage_sftp')
        .where('organisation_id', '=', orgId)
        .executeTakeFirstOrThrow();
      await t.db
        .updateTable('recording_configuration')
        .set({ storage_sftp: settings.storage_sftp && { ...settings.storage_sftp, hostKey: sshd.hostKey } })
        .where('organisation_id', '=', orgId)
        .execute();
      await stored;
      assert.deepEqual((await readdir(path.join(sshd.uploadDir, 'mismatch'))).sort(), [name, `${name}.json`]);
    },
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
