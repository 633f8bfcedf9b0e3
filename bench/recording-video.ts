/**
 * The recording composer with video legs (SPEC §13 `audio_and_video`), as its own process on
 * embedded PostgreSQL, fed synthetic RTP over loopback: real libopus packets (20 ms) and real
 * libvpx VP8 frames of a test pattern (640×360, 15 fps, ~400 kbit/s, what a browser sends on a
 * modest link), packetized as browsers do (RFC 7741, 1,000-byte packets). No SFU in between.
 *
 * 1. CPU per recorded video call (per-leg writing): CALLS concurrent video calls (two audio and
 *    two video legs each, per_leg composition, local storage) in real time for SECONDS; the
 *    composer's CPU time from /proc per call, then the stop (the WebM muxing) for all of them.
 * 2. Hang-up → stored for a merged video call of MINUTES (sent PACE × faster than real time:
 *    the files follow RTP timestamps): the leg files and the stereo audio, then the side-by-side
 *    composite (ffmpeg decode + VP8 re-encode; its CPU is the ffmpeg child's).
 * Usage: node --import tsx bench/recording-video.ts [calls=4] [seconds=20] [minutes=1]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { ComposerStart } from '@cc/contracts';
import { startComposerBench } from './composer-bench.ts';
import { opusPackets } from '@cc/recording-composer/testing/audio';
import { packetizeVp8, vp8Frames } from '@cc/recording-composer/testing/video';
import { OPUS_PAYLOAD_TYPE, rtpPacket, VP8_PAYLOAD_TYPE } from '@cc/sfu/testing/recording-rig';

const CALLS = Number(process.argv[2] ?? 4);
const SECONDS = Number(process.argv[3] ?? 20);
const MINUTES = Number(process.argv[4] ?? 1);
const FPS = 15;
const PACE = 5;

const bench = await startComposerBench('recording-video');
const { db, composer } = bench;

interface Leg {
  socket: Socket;
  port: number;
  ssrc: number;
  kind: 'audio' | 'video';
  seq: number;
}

async function startCall(composition: ComposerStart['composition']): Promise<{ request: ComposerStart; legs: Leg[] }> {
  const request: ComposerStart = {
    recordingId: randomUUID(),
    organisationId: bench.organisationId,
    storage: 'local',
    callId: randomUUID(),
    conversationId: randomUUID(),
    agentName: 'Bench Agent',
    endUser: 'Bench Customer',
    composition,
    legs: [
      { role: 'agent', peerId: 'agent', kind: 'audio' },
      { role: 'agent', peerId: 'agent', kind: 'video' },
      { role: 'customer', peerId: 'customer', kind: 'audio' },
      { role: 'customer', peerId: 'customer', kind: 'video' },
    ],
  };
  const session = await composer.start(request);
  const legs = session.legs.map((leg) => ({
    socket: createSocket('udp4'),
    port: leg.port,
    ssrc: randomBytes(4).readUInt32BE(),
    kind: leg.kind,
    seq: 0,
  }));
  return { request, legs };
}

// 2 s loops: 100 Opus packets, 30 VP8 frames starting with a key frame (so the loop still decodes).
const tone = await opusPackets(2, 440, [[0.5, 1.5]]);
const frames = await vp8Frames({ seconds: 2, fps: FPS, width: 640, height: 360, gop: 2 * FPS });

/** Sends what leg `leg` has for 20 ms tick `tick`: an audio packet, or a frame every 1/FPS s. */
function sendTick(leg: Leg, tick: number): void {
  const out = (packet: Buffer) => leg.socket.send(packet, leg.port, '127.0.0.1');
  if (leg.kind === 'audio') {
    const payload = tone[tick % tone.length] ?? Buffer.alloc(3);
    out(rtpPacket({ payloadType: OPUS_PAYLOAD_TYPE, seq: leg.seq++, timestamp: tick * 960, ssrc: leg.ssrc, payload }));
    return;
  }
  const frameIndex = Math.floor((tick * 20 * FPS) / 1000);
  if (tick > 0 && Math.floor(((tick - 1) * 20 * FPS) / 1000) === frameIndex) return;
  const frame = frames[frameIndex % frames.length] ?? Buffer.alloc(0);
  const payloads = packetizeVp8(frame, frameIndex & 0x7fff);
  payloads.forEach((payload, k) =>
    out(
      rtpPacket({
        payloadType: VP8_PAYLOAD_TYPE,
        seq: leg.seq++,
        timestamp: frameIndex * (90_000 / FPS),
        ssrc: leg.ssrc,
        marker: k === payloads.length - 1,
        payload,
      }),
    ),
  );
}

async function uploadsDone(recordingId: string, legs: string[]): Promise<boolean> {
  const done = await db
    .selectFrom('recording_upload')
    .select('leg')
    .where('session_id', '=', recordingId)
    .where('state', '=', 'done')
    .execute();
  return legs.every((leg) => done.some((d) => d.leg === leg));
}

// 1. CPU per recorded video call, real time.
const calls = await Promise.all(Array.from({ length: CALLS }, () => startCall('per_leg')));
const cpuBefore = bench.composerCpuSeconds();
const started = performance.now();
for (let tick = 0; tick < SECONDS * 50; tick++) {
  for (const call of calls) for (const leg of call.legs) sendTick(leg, tick);
  const due = started + (tick + 1) * 20;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
}
const wallS = (performance.now() - started) / 1000;
const cpuS = bench.composerCpuSeconds() - cpuBefore;
await new Promise((resolve) => setTimeout(resolve, 500));
const cpuStop = bench.composerCpuSeconds();
const stopStarted = performance.now();
const results = await Promise.all(calls.map((call) => composer.stop(call.request.recordingId)));
const stopAllMs = performance.now() - stopStarted;
const muxCpuS = bench.composerCpuSeconds() - cpuStop;
for (const call of calls) for (const leg of call.legs) leg.socket.close();
const sample = results[0]?.files.find((f) => f.leg === 'agent');
console.log(`CPU: ${CALLS} video calls × ${wallS.toFixed(1)} s: composer ${cpuS.toFixed(2)} CPU s while receiving`);
console.log(
  `  per recorded video call: ${((cpuS / wallS / CALLS) * 100).toFixed(2)} % of a core while the call runs; ` +
    `stop (WebM muxing) ${((muxCpuS / CALLS) * 1000).toFixed(0)} CPU ms per call, all ${CALLS} stopped in ${stopAllMs.toFixed(0)} ms; ` +
    `a leg: ${sample ? `${sample.codecs.join('+')} ${(sample.durationMs / 1000).toFixed(1)} s ${(sample.bytes / 1e6).toFixed(2)} MB` : 'none'}; ` +
    `failures: ${results.reduce((n, r) => n + r.failures.length, 0)}`,
);

// 2. Hang-up → stored for a merged video call, with its composite.
const long = await startCall('merged');
const ticks = MINUTES * 60 * 50;
const sendStarted = performance.now();
for (let tick = 0; tick < ticks; tick++) {
  for (const leg of long.legs) sendTick(leg, tick);
  if (tick % PACE === PACE - 1) {
    const due = sendStarted + ((tick + 1) * 20) / PACE;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
}
await new Promise((resolve) => setTimeout(resolve, 500));
const hangUp = performance.now();
const result = await composer.stop(long.request.recordingId);
const stoppedMs = performance.now() - hangUp;
while (!(await uploadsDone(long.request.recordingId, ['agent', 'customer', 'merged']))) await new Promise((r) => setTimeout(r, 10));
const legsStoredMs = performance.now() - hangUp;
const deadline = Date.now() + 10 * 60_000;
while (!(await uploadsDone(long.request.recordingId, ['composite'])) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const compositeMs = performance.now() - hangUp;
const composite = await db
  .selectFrom('recording_upload')
  .select(['metadata'])
  .where('session_id', '=', long.request.recordingId)
  .where('leg', '=', 'composite')
  .executeTakeFirst();
for (const leg of long.legs) leg.socket.close();
console.log(
  `Hang-up → stored, ${MINUTES}-minute merged video call: leg WebM files + stereo audio ${legsStoredMs.toFixed(0)} ms ` +
    `(stop answered in ${stoppedMs.toFixed(0)} ms); side-by-side composite ${composite ? `${compositeMs.toFixed(0)} ms` : 'not stored'} ` +
    `(${composite ? `${(composite.metadata.durationMs / 1000).toFixed(1)} s` : '-'}); failures: ${result.failures.length}`,
);

await bench.close();
