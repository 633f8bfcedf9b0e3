/**
 * SPEC §13 S3-compatible storage against a real s3rver on loopback: a recording larger than
 * one 8 MiB part goes up as a multipart upload and is stored byte for byte, in part order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@cc/migrations';
import { S3RVER_CREDENTIALS, s3Objects, startS3rver, type S3Server } from '../testing/storage-servers.ts';
import { S3Store } from './S3Store.ts';

const BUCKET = 'recordings';
const MIB = 1024 * 1024;

let dir: string;
let server: S3Server;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 's3store-'));
  server = await startS3rver({ dir: path.join(dir, 's3rver'), port: await freePort(), bucket: BUCKET });
});
after(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('S3 storage (SPEC §13)', () => {
  it('a recording larger than one part is uploaded in 8 MiB parts and stored byte-identical', { timeout: 60_000 }, async () => {
    // 2½ parts of random bytes: two full parts and a short last one, none alike (a part out of order would show).
    const bytes = randomBytes(20 * MIB + 12_345);
    const spoolPath = path.join(dir, 'merged.opus');
    await writeFile(spoolPath, bytes);
    const fileName = 'conv-big_Ada-Lovelace_Grace-Hopper_20261125100000.opus';
    const store = new S3Store({
      endpoint: server.endpoint,
      region: 'us-east-1',
      bucket: BUCKET,
      prefix: 'calls/',
      forcePathStyle: true,
      ...S3RVER_CREDENTIALS,
    });
    try {
      await store.put({
        spoolPath,
        fileName,
        metadata: {
          fileName,
          conversationId: 'conv-big',
          callId: 'call-big',
          agentName: 'Ada Lovelace',
          endUser: 'Grace Hopper +44 20 7946 0958',
          leg: 'merged',
          channelLayout: 'stereo_agent_left_customer_right',
          container: 'ogg',
          startedAt: '2026-11-25T10:00:00.000Z',
          endedAt: '2026-11-25T11:00:00.000Z',
          durationMs: 3_600_000,
        },
      });
      const parts = server.log.filter((line) => /Stored part \d+ of /.test(line));
      assert.equal(parts.length, 3, `s3rver stored the parts:\n${server.log.join('\n')}`);

      // Read straight from the server: one object, the same bytes.
      const objects = await s3Objects(server.endpoint, BUCKET);
      assert.deepEqual(
        objects.map((o) => o.key),
        [`calls/${fileName}`],
      );
      assert.ok(objects[0]?.body.equals(bytes), 'the stored object is the file, byte for byte');

      // And through the store, as a download would: a range across the first part boundary.
      const start = 8 * MIB - 100;
      const range = await buffer(await store.read(fileName, { start, end: start + 199 }));
      assert.ok(range.equals(bytes.subarray(start, start + 200)), 'a range across two parts reads back the same bytes');
    } finally {
      await store.close();
    }
  });
});
