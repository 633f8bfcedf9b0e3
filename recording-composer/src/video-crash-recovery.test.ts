/**
 * SPEC §13: a video recording outlives its composer. A real composer process records a video
 * call (real VP8 from libvpx and Opus, through a real mediasoup worker's recording tap over
 * loopback), is killed (SIGKILL) in the middle and started again on the same spool, node and
 * ports, and the call goes on; then it is killed again while ffmpeg makes the side-by-side
 * composite. The leg files and the composite cover the whole call (the outage as silence and a
 * held picture), and each file is uploaded once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@cc/migrations/testing';
import {
  OPUS_PAYLOAD_TYPE,
  rtpPacket,
  startRecordingRig,
  VP8_PAYLOAD_TYPE,
  type RecordingRig,
  type RtpSource,
} from '@cc/sfu/testing/recording-rig';
import { decode, energy, opusPackets } from './testing/audio.ts';
import { composerProcess, type ComposerProcess } from './testing/process.ts';
import { packetizeVp8, probeMedia, vp8Frames } from './testing/video.ts';
import { organisation, startRequest } from './uploads/testing.ts';

const run = promisify(execFile);
const FPS = 15;
const BEFORE_S = 3;
const AWAY_S = 1.5;
const AFTER_S = 3;
/** Media enough for the call however long the restart takes (the call ends AFTER_S after it). */
const SECONDS = BEFORE_S + AWAY_S + AFTER_S + 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Share of the 10 ms windows in [fromS, toS) of `pcm` that carry the tone. */
function toneShare(pcm: Int16Array, fromS: number, toS: number): number {
  const windows = energy(pcm).slice(Math.round(fromS * 100), Math.round(toS * 100));
  return windows.filter((rms) => rms > 1000).length / Math.max(1, windows.length);
}

/** Presentation times (s) of a file's video packets, as stored. */
async function videoTimes(file: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    file,
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/** Whether a (compound) RTCP datagram holds a PLI (PT 206, FMT 1). */
function isPli(datagram: Buffer): boolean {
  for (let at = 0; at + 4 <= datagram.length; at += (datagram.readUInt16BE(at + 2) + 1) * 4) {
    if (datagram[at + 1] === 206 && ((datagram[at] ?? 0) & 0x1f) === 1) return true;
  }
  return false;
}

/**
 * Plays a participant's audio (every 20 ms) and video (every 1/FPS s, a key frame each second)
 * through the SFU from the moment it is called until `hangUp`, whether or not the composer
 * listens (the tap does not know it died).
 */
async function play(p: { audio: RtpSource; video: RtpSource; opus: Buffer[]; frames: Buffer[]; ssrcs: [number, number] }[]) {
  const sends: { atMs: number; source: RtpSource; packets: Buffer[] }[] = [];
  for (const leg of p) {
    leg.opus.forEach((payload, i) =>
      sends.push({
        atMs: i * 20,
        source: leg.audio,
        packets: [rtpPacket({ payloadType: OPUS_PAYLOAD_TYPE, seq: 100 + i, timestamp: 5000 + i * 960, ssrc: leg.ssrcs[0], payload })],
      }),
    );
    let seq = 700;
    leg.frames.forEach((frame, f) => {
      const payloads = packetizeVp8(frame, f);
      const timestamp = 90_000 + f * (90_000 / FPS);
      const packets = payloads.map((payload, k) =>
        rtpPacket({
          payloadType: VP8_PAYLOAD_TYPE,
          seq: seq + k,
          timestamp,
          ssrc: leg.ssrcs[1],
          marker: k === payloads.length - 1,
          payload,
        }),
      );
      seq += payloads.length;
      sends.push({ atMs: (f * 1000) / FPS, source: leg.video, packets });
    });
  }
  sends.sort((a, b) => a.atMs - b.atMs);
  const started = performance.now();
  const times = { first: Date.now(), last: 0 };
  let talking = true;
  const done = (async () => {
    for (const send of sends) {
      if (!talking) break;
      const wait = started + send.atMs - performance.now();
      if (wait > 1) await sleep(wait);
      for (const packet of send.packets) await send.source.send(packet);
    }
    times.last = Date.now();
  })();
  return {
    times,
    hangUp: async () => {
      talking = false;
      await done;
    },
  };
}

describe('video recording composer killed mid-call (SPEC §13)', () => {
  let t: TestDatabase;
  let dir: string;
  let rig: RecordingRig;
  let composer: ComposerProcess;
  before(async () => {
    t = await createTestDatabase();
    rig = await startRecordingRig();
    dir = await mkdtemp(path.join(os.tmpdir(), 'composer-video-crash-'));
    composer = await composerProcess({
      RECORDINGS_DIR: dir,
      DATABASE_URL: t.url,
      COMPOSER_NODE: 'video-crash-test',
      COMPOSER_UPLOAD_POLL_MS: '100',
      COMPOSER_JITTER_MS: '100',
    });
  });
  after(async () => {
    await composer.kill();
    rig.close();
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'resumes the WebM legs (silence and a held picture for the outage), remakes a composite cut by a kill, one upload each',
    { timeout: 180_000 },
    async (ctx) => {
      const [agentFrames, customerFrames, agentOpus, customerOpus] = await Promise.all([
        vp8Frames({ seconds: SECONDS, fps: FPS, width: 320, height: 240, gop: FPS }),
        vp8Frames({ seconds: SECONDS, fps: FPS, width: 320, height: 240, gop: FPS }),
        opusPackets(SECONDS, 440, [[0, SECONDS]]),
        opusPackets(SECONDS, 880, [[0, SECONDS]]),
      ]);
      const orgId = await organisation(t.db);
      const request = {
        ...startRequest(orgId, 'local'),
        legs: [
          { role: 'agent', peerId: 'agent-1', kind: 'audio' },
          { role: 'agent', peerId: 'agent-1', kind: 'video' },
          { role: 'customer', peerId: 'customer-1', kind: 'audio' },
          { role: 'customer', peerId: 'customer-1', kind: 'video' },
        ] as const,
      };
      await composer.start();
      const session = await composer.client.start({ ...request, legs: [...request.legs] });
      await rig.recordings.start({ recordingId: request.recordingId, legs: session.legs });
      const agent = { audio: await rig.audioSource('agent-1', 11), video: await rig.videoSource('agent-1', 12) };
      const customer = { audio: await rig.audioSource('customer-1', 21), video: await rig.videoSource('customer-1', 22) };
      const tap = rig.recordings.get(request.recordingId);
      assert.ok(tap);
      while (tap.summary().legs.some((leg) => leg.ssrc === null)) await new Promise((resolve) => setImmediate(resolve));

      const call = await play([
        { ...agent, opus: agentOpus, frames: agentFrames, ssrcs: [11, 12] },
        { ...customer, opus: customerOpus, frames: customerFrames, ssrcs: [21, 22] },
      ]);
      await sleep(BEFORE_S * 1000);
      const killedAt = Date.now();
      await composer.kill();
      await sleep(AWAY_S * 1000);
      const pliBefore = agent.video.rtcp.filter(isPli).length;
      await composer.start();
      const upAt = Date.now();
      await sleep(AFTER_S * 1000);
      await call.hangUp();
      // The jitter buffer lets the last packets out, as after a call's last second.
      await sleep(300);
      rig.recordings.stop(request.recordingId);

      const result = await composer.client.stop(request.recordingId);
      // Killed again at once, while ffmpeg makes the composite: the restart makes it again.
      await composer.kill();
      const manifest = JSON.parse(await readFile(path.join(dir, '.spool', `${request.recordingId}.json`), 'utf8')) as {
        stopped?: { composite?: unknown };
      };
      assert.ok(manifest.stopped?.composite, 'the kill came before the composite was filed');
      await composer.start();
      assert.deepEqual(result.failures, []);
      assert.deepEqual(result.files.map((f) => f.leg).sort(), ['agent', 'customer', 'merged']);
      assert.deepEqual(await composer.client.stop(request.recordingId), result, 'a stop after a restart answers the same');

      // After the restart the leg waited for a key frame and asked for one (RTCP PLI through the tap).
      for (const deadline = Date.now() + 3000; agent.video.rtcp.filter(isPli).length <= pliBefore && Date.now() < deadline;)
        await sleep(50);
      assert.ok(agent.video.rtcp.filter(isPli).length > pliBefore, 'the restarted composer asked the camera for a key frame');
      for (const source of [agent.audio, agent.video, customer.audio, customer.video]) source.close();

      // Every file stored once: one job each (the composite too), done, and one file each on the disk.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const jobs = await t.db
          .selectFrom('recording_upload')
          .select(['leg', 'state'])
          .where('session_id', '=', request.recordingId)
          .execute();
        if (jobs.length === 4 && jobs.every((job) => job.state === 'done')) break;
        assert.ok(Date.now() < deadline, `the uploads finish: ${JSON.stringify(jobs)}`);
        await sleep(200);
      }
      const jobs = await t.db.selectFrom('recording_upload').selectAll().where('session_id', '=', request.recordingId).execute();
      assert.deepEqual(jobs.map((j) => j.leg).sort(), ['agent', 'composite', 'customer', 'merged']);
      const composite = jobs.find((j) => j.leg === 'composite');
      assert.ok(composite);
      const stored = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
      assert.deepEqual(stored, [...result.files.map((f) => f.fileName), composite.file_name].sort());

      const wallS = (call.times.last - call.times.first) / 1000 + 0.02;
      const killS = (killedAt - call.times.first) / 1000;
      const upS = (upAt - call.times.first) / 1000;
      for (const file of result.files.filter((f) => f.leg !== 'merged')) {
        const filePath = path.join(dir, file.fileName);
        const probe = await probeMedia(filePath);
        assert.deepEqual(probe.streams.map((s) => s.codec).sort(), ['opus', 'vp8']);
        assert.ok(Math.abs(probe.durationS - wallS) < 0.5, `${file.leg}: ${probe.durationS} s for a ${wallS} s call`);
        const times = await videoTimes(filePath);
        const before = times.filter((s) => s < killS - 0.5).length;
        // The restarted composer listens a moment before its control API answers (`upS`).
        const away = times.filter((s) => s > killS + 0.3 && s < upS - 0.3).length;
        const afterwards = times.filter((s) => s > upS + 1.2 && s < wallS - 0.3).length;
        assert.ok(before >= (killS - 0.7) * FPS, `${file.leg}: ${before} frames before the kill`);
        assert.equal(away, 0, `${file.leg}: no frames while the composer was away`);
        // The first key frame after the restart comes within a second (one per second here).
        assert.ok(afterwards >= (wallS - 0.3 - upS - 1.2 - 0.2) * FPS, `${file.leg}: ${afterwards} frames after the restart`);
        const [pcm = new Int16Array()] = await decode(filePath, 1);
        const tone = {
          before: toneShare(pcm, 0.2, killS - 0.5),
          away: toneShare(pcm, killS + 0.3, upS - 0.3),
          after: toneShare(pcm, upS + 0.5, wallS - 0.3),
        };
        assert.ok(tone.before > 0.9 && tone.after > 0.9, `${file.leg}: tone before and after the outage ${JSON.stringify(tone)}`);
        assert.ok(tone.away < 0.05, `${file.leg}: silence while the composer was away ${JSON.stringify(tone)}`);
        ctx.diagnostic(
          `${file.leg}: ${probe.durationS} s for a ${wallS.toFixed(2)} s call (killed at ${killS.toFixed(2)} s, up at ${upS.toFixed(2)} s); ` +
            `frames ${before} before, ${away} away, ${afterwards} after; tone ${JSON.stringify(tone)}`,
        );
      }
      // The stereo Ogg Opus of the merged recording covers the whole call too (the part before the kill from the spool).
      const merged = result.files.find((f) => f.leg === 'merged');
      assert.ok(merged);
      const mergedProbe = await probeMedia(path.join(dir, merged.fileName));
      assert.ok(Math.abs(mergedProbe.durationS - wallS) < 0.5, `merged: ${mergedProbe.durationS} s for a ${wallS} s call`);
      for (const [channel, pcm] of (await decode(path.join(dir, merged.fileName), 2)).entries()) {
        const tone = {
          before: toneShare(pcm, 0.2, killS - 0.5),
          away: toneShare(pcm, killS + 0.3, upS - 0.3),
          after: toneShare(pcm, upS + 0.5, wallS - 0.3),
        };
        assert.ok(tone.before > 0.9 && tone.after > 0.9 && tone.away < 0.05, `merged channel ${channel}: ${JSON.stringify(tone)}`);
        ctx.diagnostic(`merged channel ${channel}: ${mergedProbe.durationS} s; tone ${JSON.stringify(tone)}`);
      }
      const probe = await probeMedia(path.join(dir, composite.file_name));
      assert.deepEqual(probe.streams.map((s) => `${s.codec}/${s.channels ?? s.width}`).sort(), ['opus/2', 'vp8/640']);
      assert.ok(Math.abs(probe.durationS - wallS) < 0.5, `composite: ${probe.durationS} s for a ${wallS} s call`);
      ctx.diagnostic(`composite: ${probe.durationS} s; jobs ${jobs.map((j) => `${j.leg}:${j.state}`).join(' ')}`);
    },
  );
});
