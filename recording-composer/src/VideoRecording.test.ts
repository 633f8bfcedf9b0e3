/**
 * SPEC §13 video recordings (`audio_and_video`), end to end through a real mediasoup worker:
 * real VP8 frames (libvpx) and Opus are injected into a router as two participants' producers,
 * with packet loss and reordering, the SFU's recording tap sends them to the composer, and
 * what lands on disk is measured with ffprobe: codecs, sizes, durations, and the video frames
 * copied out byte for byte (no transcoding in the leg files).
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ComposerStart } from '@cc/contracts';
import {
  OPUS_PAYLOAD_TYPE,
  rtpPacket,
  startRecordingRig,
  VP8_PAYLOAD_TYPE,
  type RecordingRig,
  type RtpSource,
} from '@cc/sfu/testing/recording-rig';
import { Recording } from './Recording.ts';
import type { SpooledFile } from './uploads/UploadQueue.ts';
import { opusPackets } from './testing/audio.ts';
import { packetizeVp8, probeMedia, storedVideoFrames, vp8Frames } from './testing/video.ts';

const FPS = 15;
const SECONDS = 6;
const hash = (b: Buffer) => createHash('sha1').update(b).digest('hex');

function request(id: string): ComposerStart {
  return {
    recordingId: id,
    organisationId: randomUUID(),
    storage: 'local',
    callId: `call-${id}`,
    conversationId: `conv-${id}`,
    agentName: 'Ada Agent',
    endUser: 'Bob',
    composition: 'merged',
    legs: [
      { role: 'agent', peerId: 'agent-1', kind: 'audio' },
      { role: 'agent', peerId: 'agent-1', kind: 'video' },
      { role: 'customer', peerId: 'customer-1', kind: 'audio' },
      { role: 'customer', peerId: 'customer-1', kind: 'video' },
    ],
  };
}

interface Send {
  atMs: number;
  source: RtpSource;
  packets: Buffer[];
}

/** Audio packets every 20 ms and video frames every 1/FPS s from `startMs`, as a browser paces them. */
function schedule(p: {
  audio: RtpSource;
  video: RtpSource;
  startMs: number;
  opus: Buffer[];
  frames: Buffer[];
  ssrcs: [number, number];
  /** Frame index → packet indexes never sent. */
  lose?: Map<number, number[]>;
  /** Frames whose first two packets are sent swapped. */
  swap?: Set<number>;
}): Send[] {
  const sends: Send[] = p.opus.map((payload, i) => ({
    atMs: p.startMs + i * 20,
    source: p.audio,
    packets: [rtpPacket({ payloadType: OPUS_PAYLOAD_TYPE, seq: 100 + i, timestamp: 5000 + i * 960, ssrc: p.ssrcs[0], payload })],
  }));
  let seq = 700;
  p.frames.forEach((frame, f) => {
    const payloads = packetizeVp8(frame, f);
    let packets = payloads.map((payload, k) =>
      rtpPacket({
        payloadType: VP8_PAYLOAD_TYPE,
        seq: seq + k,
        timestamp: 90_000 + f * (90_000 / FPS),
        ssrc: p.ssrcs[1],
        marker: k === payloads.length - 1,
        payload,
      }),
    );
    seq += payloads.length;
    const lost = p.lose?.get(f) ?? [];
    packets = packets.filter((_, k) => !lost.includes(k));
    if (p.swap?.has(f) && packets.length > 1) packets = [packets[1], packets[0], ...packets.slice(2)] as Buffer[];
    sends.push({ atMs: p.startMs + (f * 1000) / FPS, source: p.video, packets });
  });
  return sends;
}

/** Whether a (compound) RTCP datagram holds a PLI (PT 206, FMT 1): mediasoup bundles it with its receiver reports. */
function isPli(datagram: Buffer): boolean {
  for (let at = 0; at + 4 <= datagram.length; at += (datagram.readUInt16BE(at + 2) + 1) * 4) {
    if (datagram[at + 1] === 206 && ((datagram[at] ?? 0) & 0x1f) === 1) return true;
  }
  return false;
}

async function play(sends: Send[]): Promise<void> {
  sends.sort((a, b) => a.atMs - b.atMs);
  const started = performance.now();
  for (const send of sends) {
    const wait = started + send.atMs - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const packet of send.packets) await send.source.send(packet);
  }
}

describe('video recordings (SPEC §13 audio_and_video)', () => {
  let rig: RecordingRig;
  let dir: string;
  before(async () => {
    rig = await startRecordingRig();
    dir = await mkdtemp(path.join(os.tmpdir(), 'video-recordings-'));
  });
  after(async () => {
    rig.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes per-leg WebM (VP8 + Opus as received) through loss and reordering, and a side-by-side composite', async () => {
    const [agentFrames, customerFrames, agentOpus, customerOpus] = await Promise.all([
      vp8Frames({ seconds: SECONDS, fps: FPS, width: 320, height: 240, gop: FPS }),
      vp8Frames({ seconds: SECONDS - 1, fps: FPS, width: 320, height: 240, gop: FPS }),
      opusPackets(SECONDS, 440, [[1, 2]]),
      opusPackets(SECONDS - 1, 880, [[1, 2]]),
    ]);
    // libvpx realtime frame sizes vary from run to run: lose and swap packets of frames that span
    // several packets. Key frames come every FPS frames, so a loss in frame `lostFrame` costs the
    // frames up to the next key frame.
    const multi = (from: number) => agentFrames.findIndex((frame, f) => f >= from && f % FPS !== 0 && packetizeVp8(frame, f).length > 1);
    const lostFrame = multi(FPS + 1);
    const swapped = [multi(1), multi(2 * FPS + 1)];
    assert.ok(lostFrame > 0 && lostFrame < 2 * FPS && swapped.every((f) => f > 0), 'frames of several packets to lose and swap');
    const agentDropped = 2 * FPS - lostFrame;
    const id = randomUUID();
    const recording = await Recording.start({
      request: request(id),
      ip: '127.0.0.1',
      dir,
      jitterMs: 100,
      now: Date.now,
      logger: pino({ level: process.env['TEST_LOG'] ?? 'silent' }),
    });
    await rig.recordings.start({ recordingId: id, legs: recording.session().legs });
    const agent = { audio: await rig.audioSource('agent-1', 11), video: await rig.videoSource('agent-1', 12) };
    const customer = { audio: await rig.audioSource('customer-1', 21), video: await rig.videoSource('customer-1', 22) };
    const tap = rig.recordings.get(id);
    assert.ok(tap);
    while (tap.summary().legs.some((leg) => leg.ssrc === null)) await new Promise((resolve) => setImmediate(resolve));

    // Agent: `lostFrame` loses its second packet (it and the frames after it cannot decode until the key
    // frame at 2 × FPS); two frames arrive with their first two packets swapped. Customer: joins 1 s later.
    await play([
      ...schedule({
        ...agent,
        startMs: 0,
        opus: agentOpus,
        frames: agentFrames,
        ssrcs: [11, 12],
        lose: new Map([[lostFrame, [1]]]),
        swap: new Set(swapped),
      }),
      ...schedule({ ...customer, startMs: 1000, opus: customerOpus, frames: customerFrames, ssrcs: [21, 22] }),
    ]);
    rig.recordings.stop(id);
    const result = await recording.stop();
    assert.deepEqual(result.failures, []);

    // The lost packet made the composer ask the SFU for a key frame (RTCP PLI through the tap), which
    // mediasoup passed to the agent's camera (bundled with its receiver reports: wait for it, bounded).
    for (const deadline = Date.now() + 3000; !agent.video.rtcp.some(isPli) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(agent.video.rtcp.some(isPli), 'the agent camera got a key frame request');
    for (const source of [agent.audio, agent.video, customer.audio, customer.video]) source.close();

    const legs = new Map(result.files.map((f) => [f.leg, f]));
    const agentFile = legs.get('agent') as SpooledFile;
    const customerFile = legs.get('customer') as SpooledFile;
    assert.equal(agentFile.container, 'webm');
    assert.deepEqual(agentFile.codecs, ['vp8', 'opus']);
    assert.equal(agentFile.transcoded, false);
    assert.match(agentFile.fileName, /_agent\.webm$/);
    assert.ok(legs.get('merged'), 'the stereo Ogg Opus is kept');

    for (const [file, frames, seconds, dropped] of [
      [agentFile, agentFrames, SECONDS, agentDropped],
      [customerFile, customerFrames, SECONDS - 1, 0],
    ] as const) {
      const probe = await probeMedia(file.spoolPath);
      const video = probe.streams.find((s) => s.type === 'video');
      const audio = probe.streams.find((s) => s.type === 'audio');
      assert.equal(video?.codec, 'vp8');
      assert.equal(video.width, 320);
      assert.equal(audio?.codec, 'opus');
      assert.equal(audio.channels, 1);
      assert.ok(Math.abs(probe.durationS - seconds) < 0.5, `${file.leg}: ${probe.durationS} s, expected ${seconds}`);
      // As received: every stored frame is one of the sent frames, byte for byte; only the undecodable ones are missing.
      const stored = await storedVideoFrames(file.spoolPath);
      const sent = new Set(frames.map(hash));
      assert.ok(
        stored.every((frame) => sent.has(hash(frame))),
        `${file.leg}: frames are not the ones sent`,
      );
      assert.equal(stored.length, frames.length - dropped, `${file.leg}: frames written`);
    }

    const composite = await result.composite;
    assert.ok(composite && !('code' in composite), 'the composite was made');
    assert.equal(composite.channelLayout, 'side_by_side_agent_left_customer_right');
    const probe = await probeMedia(composite.spoolPath);
    const video = probe.streams.find((s) => s.type === 'video');
    const audio = probe.streams.find((s) => s.type === 'audio');
    assert.equal(video?.codec, 'vp8');
    assert.equal(video.width, 640);
    assert.equal(video.height, 240);
    assert.equal(audio?.codec, 'opus');
    assert.equal(audio.channels, 2);
    assert.ok(Math.abs(probe.durationS - SECONDS) < 0.5, `composite: ${probe.durationS} s`);
    assert.equal(probe.tags['CHANNEL_LAYOUT'], 'left=agent right=customer');
  });
});
