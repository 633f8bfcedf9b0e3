/**
 * SPEC §13: a recording outlives its composer. A real composer process records a call fed
 * with Opus RTP over loopback (as the SFU's tap sends it), is killed (SIGKILL) in the middle,
 * started again on the same spool and node, and the call goes on: the files cover the whole
 * call, the time the composer was away as silence, and each is uploaded once — also when the
 * storage (a real s3rver) is down as the composer comes back and the call ends.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@cc/migrations/testing';
import { OPUS_PAYLOAD_TYPE, rtpPacket } from '@cc/sfu/testing/recording-rig';
import { freePort } from '@cc/migrations';
import { decode, energy, opusPackets, probe } from './testing/audio.ts';
import { composerProcess, type ComposerProcess } from './testing/process.ts';
import { S3RVER_CREDENTIALS, s3Objects, startS3rver } from './testing/storage-servers.ts';
import { organisation, startRequest } from './uploads/testing.ts';

const TICK_MS = 20;

/** Share of the 10 ms windows in [fromS, toS) of `pcm` that carry the tone. */
function toneShare(pcm: Int16Array, fromS: number, toS: number): number {
  const windows = energy(pcm).slice(Math.round(fromS * 100), Math.round(toS * 100));
  return windows.filter((rms) => rms > 1000).length / Math.max(1, windows.length);
}

/**
 * Sends each leg's packets every 20 ms on the clock, with one SSRC and continuous sequence
 * numbers and timestamps, whether or not anyone listens (the SFU's tap does not know the
 * composer died). Returns when `stop` is called; `first`/`last` are when packets went out.
 */
function sendLegs(legs: { port: number; ssrc: number; packets: Buffer[] }[]) {
  const socket = createSocket('udp4');
  let running = true;
  const times = { first: 0, last: 0 };
  const done = (async () => {
    const started = performance.now();
    times.first = Date.now();
    for (let tick = 0; running; tick++) {
      for (const leg of legs) {
        const payload = leg.packets[tick % leg.packets.length] ?? Buffer.alloc(3);
        socket.send(
          rtpPacket({ payloadType: OPUS_PAYLOAD_TYPE, seq: 7000 + tick, timestamp: 90_000 + tick * 960, ssrc: leg.ssrc, payload }),
          leg.port,
          '127.0.0.1',
        );
      }
      times.last = Date.now();
      const due = started + (tick + 1) * TICK_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
    socket.close();
  })();
  return {
    times,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls (another process's progress shows only in the database) until `ok`, within `ms`. */
async function until(ok: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await sleep(100);
  }
}

describe('recording composer killed mid-call (SPEC §13)', () => {
  let t: TestDatabase;
  let dir: string;
  let composer: ComposerProcess;
  before(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'composer-crash-'));
    composer = await composerProcess({
      RECORDINGS_DIR: dir,
      DATABASE_URL: t.url,
      COMPOSER_NODE: 'crash-test',
      COMPOSER_UPLOAD_POLL_MS: '100',
      // Retries a storage outage often, so its end is noticed within a second.
      COMPOSER_UPLOAD_RETRY_BASE_MS: '200',
      COMPOSER_UPLOAD_RETRY_MAX_MS: '800',
      COMPOSER_JITTER_MS: '100',
    });
  });
  after(async () => {
    await composer.kill();
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'resumes on the same ports and files: the outage is silence, the files last as long as the call, one upload each',
    { timeout: 120_000 },
    async () => {
      const orgId = await organisation(t.db);
      const request = startRequest(orgId, 'local');
      await composer.start();
      const session = await composer.client.start(request);
      const port = (role: string) => session.legs.find((leg) => leg.role === role)?.port ?? 0;
      const sender = sendLegs([
        { port: port('agent'), ssrc: 0x1111, packets: await opusPackets(1, 440, [[0, 1]]) },
        { port: port('customer'), ssrc: 0x2222, packets: await opusPackets(1, 880, [[0, 1]]) },
      ]);

      await sleep(3000);
      const killedAt = Date.now();
      await composer.kill();
      // Away for a while, as a crashed process is until it is restarted; the tap keeps sending.
      await sleep(1500);
      await composer.start();
      const upAt = Date.now();
      await sleep(3000);
      await sender.stop();
      // The jitter buffer lets the last packets out, as after a call's last second.
      await sleep(300);

      const result = await composer.client.stop(request.recordingId);
      assert.deepEqual(result.failures, []);
      assert.deepEqual(result.files.map((f) => f.leg).sort(), ['agent', 'customer', 'merged']);
      assert.deepEqual(await composer.client.stop(request.recordingId), result, 'a repeated stop answers the same');

      // Every file stored once: one job each, done, and one file each on the local disk (no "-2").
      const deadline = Date.now() + 20_000;
      for (;;) {
        const pending = await t.db
          .selectFrom('recording_upload')
          .select('id')
          .where('session_id', '=', request.recordingId)
          .where('state', '!=', 'done')
          .execute();
        if (pending.length === 0) break;
        assert.ok(Date.now() < deadline, 'the uploads finish');
        await sleep(100);
      }
      const jobs = await t.db.selectFrom('recording_upload').selectAll().where('session_id', '=', request.recordingId).execute();
      assert.deepEqual(jobs.map((j) => j.leg).sort(), ['agent', 'customer', 'merged']);
      const stored = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
      assert.deepEqual(stored, result.files.map((f) => f.fileName).sort());

      // Killed again after the stop: the restarted composer still answers the stop with the same files, and queues nothing new.
      await composer.kill();
      await composer.start();
      assert.deepEqual(await composer.client.stop(request.recordingId), result, 'a stop after another restart answers the same');
      const jobsAfter = await t.db.selectFrom('recording_upload').select('id').where('session_id', '=', request.recordingId).execute();
      assert.equal(jobsAfter.length, 3);

      const wallS = (sender.times.last - sender.times.first + TICK_MS) / 1000;
      const killS = (killedAt - sender.times.first) / 1000;
      const upS = (upAt - sender.times.first) / 1000;
      for (const file of result.files) {
        const filePath = path.join(dir, file.fileName);
        const probed = await probe(filePath);
        assert.equal(probed.codec, 'opus');
        assert.ok(Math.abs(probed.durationS - wallS) < 0.5, `${file.leg}: ${probed.durationS} s for a ${wallS} s call`);
        assert.ok(Math.abs(file.durationMs / 1000 - wallS) < 0.5, `${file.leg}: reported ${file.durationMs} ms for a ${wallS} s call`);
        const channels = await decode(filePath, file.leg === 'merged' ? 2 : 1);
        for (const pcm of channels) {
          const before = toneShare(pcm, 0.2, killS - 1.5);
          const away = toneShare(pcm, killS + 0.2, killS + 1.3);
          const afterwards = toneShare(pcm, upS + 0.5, wallS - 0.3);
          assert.ok(before > 0.9, `${file.leg}: tone before the kill in ${before * 100} % of the time`);
          assert.ok(away < 0.05, `${file.leg}: silence while the composer was away (tone in ${away * 100} %)`);
          assert.ok(afterwards > 0.9, `${file.leg}: tone after the restart in ${afterwards * 100} % of the time`);
        }
      }
    },
  );

  it(
    'killed mid-call while the S3 storage is down: the recording waits in the spool and arrives once when the storage is back',
    { timeout: 120_000 },
    async () => {
      const bucket = 'recordings';
      const s3port = await freePort();
      const s3dir = await mkdtemp(path.join(os.tmpdir(), 'composer-crash-s3-'));
      const endpoint = `http://127.0.0.1:${s3port}`;
      const orgId = await organisation(t.db, {
        storage: 's3',
        storage_s3: { endpoint, region: 'us-east-1', bucket, prefix: 'calls/', forcePathStyle: true, ...S3RVER_CREDENTIALS },
      });
      const request = startRequest(orgId, 's3');
      const jobs = () => t.db.selectFrom('recording_upload').selectAll().where('session_id', '=', request.recordingId).execute();
      let s3 = await startS3rver({ dir: s3dir, port: s3port, bucket });
      try {
        // A composer of its own (the test before leaves one running).
        await composer.stop();
        await composer.start();
        const session = await composer.client.start(request);
        const port = (role: string) => session.legs.find((leg) => leg.role === role)?.port ?? 0;
        const sender = sendLegs([
          { port: port('agent'), ssrc: 0x3333, packets: await opusPackets(1, 440, [[0, 1]]) },
          { port: port('customer'), ssrc: 0x4444, packets: await opusPackets(1, 880, [[0, 1]]) },
        ]);
        // The call goes on for a while (the tap sends in real time), then the storage goes down and the composer dies.
        await sleep(3000);
        await s3.stop();
        const killedAt = Date.now();
        await composer.kill();
        await sleep(1000);
        await composer.start();
        const upAt = Date.now();
        await sleep(2000);
        await sender.stop();
        await sleep(300);

        const result = await composer.client.stop(request.recordingId);
        assert.deepEqual(result.failures, []);
        assert.deepEqual(result.files.map((f) => f.leg).sort(), ['agent', 'customer', 'merged']);
        // Every upload fails while the storage is down and is retried (not given up, not duplicated).
        await until(async () => {
          const all = await jobs();
          return all.length === 3 && all.every((j) => j.state === 'pending' && j.attempts >= 2 && j.last_error !== null);
        }, 'every upload has failed at least twice against the stopped storage');
        assert.deepEqual(await s3Objects(endpoint, bucket).catch(() => 'down'), 'down', 'the storage is still down');

        s3 = await startS3rver({ dir: s3dir, port: s3port, bucket });
        await until(async () => (await jobs()).every((j) => j.state === 'done'), 'the uploads are done once the storage is back');
        const done = await jobs();
        assert.deepEqual(done.map((j) => j.leg).sort(), ['agent', 'customer', 'merged'], 'one upload job per file');
        const objects = await s3Objects(endpoint, bucket);
        assert.deepEqual(
          objects.map((o) => o.key),
          result.files.map((f) => `calls/${f.fileName}`).sort(),
          'exactly one object per file',
        );
        assert.deepEqual(
          (await readdir(dir)).filter((name) => name.startsWith(request.conversationId)),
          [],
          'nothing went to local disk',
        );

        const wallS = (sender.times.last - sender.times.first + TICK_MS) / 1000;
        const killS = (killedAt - sender.times.first) / 1000;
        const upS = (upAt - sender.times.first) / 1000;
        for (const file of result.files) {
          const object = objects.find((o) => o.key === `calls/${file.fileName}`);
          const downloaded = path.join(s3dir, `downloaded-${file.leg}.opus`);
          await writeFile(downloaded, object?.body ?? Buffer.alloc(0));
          const probed = await probe(downloaded);
          assert.equal(probed.codec, 'opus');
          assert.equal(probed.channels, file.leg === 'merged' ? 2 : 1);
          assert.ok(Math.abs(probed.durationS - wallS) < 0.5, `${file.leg}: ${probed.durationS} s for a ${wallS} s call`);
          for (const pcm of await decode(downloaded, probed.channels)) {
            // As in the test above: what was still unwritten at the kill is lost, the rest decodes.
            const before = toneShare(pcm, 0.2, killS - 1.5);
            const afterwards = toneShare(pcm, upS + 0.5, wallS - 0.3);
            assert.ok(before > 0.9, `${file.leg}: tone before the kill in ${before * 100} % of the time`);
            assert.ok(afterwards > 0.9, `${file.leg}: tone after the restart in ${afterwards * 100} % of the time`);
          }
        }
      } finally {
        await s3.stop();
        await rm(s3dir, { recursive: true, force: true });
      }
    },
  );
});
