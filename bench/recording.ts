/**
 * The recording composer under load (SPEC §13), as its own process on embedded PostgreSQL,
 * fed synthetic Opus RTP over loopback (real libopus packets of a tone, 20 ms, as browsers
 * send them; no SFU in between, so the figures are the composer's own).
 *
 * 1. CPU per recorded call: CALLS concurrent audio calls (two legs each, merged composition,
 *    local storage) in real time for SECONDS; the composer process's CPU time from /proc,
 *    divided by calls and wall time. Target < 2 % of a core per call.
 * 2. Hang-up → stored: one 10-minute call (its 2 × 30,000 packets sent 20 × faster than real
 *    time: the files' timelines follow RTP timestamps), then the stop; the time until every
 *    file's upload job is done on local disk. Target < 2 s.
 * Usage: node --import tsx bench/recording.ts [calls=20] [seconds=20] [minutes=10]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { ComposerStart } from '@cc/contracts';
import { startComposerBench } from './composer-bench.ts';
import { opusPackets } from '@cc/recording-composer/testing/audio';
import { OPUS_PAYLOAD_TYPE, rtpPacket } from '@cc/sfu/testing/recording-rig';

const CALLS = Number(process.argv[2] ?? 20);
const SECONDS = Number(process.argv[3] ?? 20);
const LONG_MINUTES = Number(process.argv[4] ?? 10);
const TICKS_PER_SECOND = 50;
/** The long call is sent this many times faster than real time. */
const PACE = 20;

const bench = await startComposerBench('recording');
const { db, composer } = bench;
await db.insertInto('recording_configuration').values({ organisation_id: bench.organisationId, enabled: true }).execute();

interface Leg {
  socket: Socket;
  port: number;
  ssrc: number;
}

async function startCall(): Promise<{ request: ComposerStart; legs: Leg[] }> {
  const request: ComposerStart = {
    recordingId: randomUUID(),
    organisationId: bench.organisationId,
    storage: 'local',
    callId: randomUUID(),
    conversationId: randomUUID(),
    agentName: 'Bench Agent',
    endUser: 'Bench Customer',
    composition: 'merged',
    legs: [
      { role: 'agent', peerId: 'agent', kind: 'audio' },
      { role: 'customer', peerId: 'customer', kind: 'audio' },
    ],
  };
  const session = await composer.start(request);
  const legs = session.legs.map((leg) => ({ socket: createSocket('udp4'), port: leg.port, ssrc: randomBytes(4).readUInt32BE() }));
  return { request, legs };
}

function send(leg: Leg, payload: Buffer, index: number): void {
  leg.socket.send(
    rtpPacket({ payloadType: OPUS_PAYLOAD_TYPE, seq: index, timestamp: index * 960, ssrc: leg.ssrc, payload }),
    leg.port,
    '127.0.0.1',
  );
}

const tone = await opusPackets(2, 440, [[0.5, 1.5]]);
const packet = (index: number) => tone[index % tone.length] ?? Buffer.alloc(3);

async function filesStored(recordingId: string, count: number): Promise<boolean> {
  const done = await db
    .selectFrom('recording_upload')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('session_id', '=', recordingId)
    .where('state', '=', 'done')
    .executeTakeFirstOrThrow();
  return Number(done.n) >= count;
}

// 1. CPU per recorded call, real time.
const calls = await Promise.all(Array.from({ length: CALLS }, () => startCall()));
const cpuBefore = bench.composerCpuSeconds();
const started = performance.now();
const ticks = SECONDS * TICKS_PER_SECOND;
for (let tick = 0; tick < ticks; tick++) {
  for (const call of calls) for (const leg of call.legs) send(leg, packet(tick), tick);
  const due = started + ((tick + 1) * 1000) / TICKS_PER_SECOND;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
}
const wallS = (performance.now() - started) / 1000;
const cpuS = bench.composerCpuSeconds() - cpuBefore;
const stopStarted = performance.now();
await Promise.all(calls.map((call) => composer.stop(call.request.recordingId)));
const stopAllMs = performance.now() - stopStarted;
for (const call of calls) for (const leg of call.legs) leg.socket.close();
console.log(`CPU: ${CALLS} calls × ${wallS.toFixed(1)} s: composer ${cpuS.toFixed(2)} CPU s`);
console.log(
  `  per recorded audio call: ${((cpuS / wallS / CALLS) * 100).toFixed(2)} % of a core (target < 2 %); stopping all ${CALLS}: ${stopAllMs.toFixed(0)} ms`,
);

// 2. Hang-up → stored for a long call.
const long = await startCall();
const packets = LONG_MINUTES * 60 * TICKS_PER_SECOND;
const sendStarted = performance.now();
for (let index = 0; index < packets; index++) {
  for (const leg of long.legs) send(leg, packet(index), index);
  // PACE × real time: a burst any faster overflows the socket's receive buffer and loses packets.
  if (index % PACE === PACE - 1) {
    const due = sendStarted + ((index + 1) * 1000) / TICKS_PER_SECOND / PACE;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
}
// The jitter buffer holds packets for COMPOSER_JITTER_MS (200 ms) of arrival time: let them out, as a call's last second would.
await new Promise((resolve) => setTimeout(resolve, 500));
const hangUp = performance.now();
const result = await composer.stop(long.request.recordingId);
const stoppedMs = performance.now() - hangUp;
while (!(await filesStored(long.request.recordingId, result.files.length))) await new Promise((resolve) => setTimeout(resolve, 10));
const storedMs = performance.now() - hangUp;
for (const leg of long.legs) leg.socket.close();
const files = result.files.map((f) => `${f.leg} ${(f.durationMs / 60_000).toFixed(2)} min ${(f.bytes / 1e6).toFixed(1)} MB`).join(', ');
console.log(
  `Hang-up → stored, ${LONG_MINUTES}-minute call: ${storedMs.toFixed(0)} ms (target < 2000; files written ${stoppedMs.toFixed(0)} ms) — ${files}; failures: ${result.failures.length}`,
);

await bench.close();
