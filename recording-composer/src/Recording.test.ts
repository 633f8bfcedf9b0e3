/**
 * SPEC §13 files, end to end through a real mediasoup worker: known Opus is injected into a
 * router as two participants' producers, the SFU's recording tap sends them to the composer,
 * and what lands on disk is probed and decoded with Debian's ffmpeg.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ComposerStart } from '@cc/contracts';
import { OPUS_PAYLOAD_TYPE, rtpPacket, startRecordingRig, type RecordingRig, type RtpSource } from '@cc/sfu/testing/recording-rig';
import { Recording, type SpooledResult } from './Recording.ts';
import { decode, energy, onsetsMs, opusPackets, probe } from './testing/audio.ts';

const FRAME_MS = 20;

function request(id: string, composition: ComposerStart['composition']): ComposerStart {
  return {
    recordingId: id,
    organisationId: randomUUID(),
    storage: 'local',
    callId: `call-${id}`,
    conversationId: `conv/${id}`,
    agentName: 'Ada Agent',
    endUser: 'Bob: +44 20 7946 0000',
    composition,
    legs: [
      { role: 'agent', peerId: 'agent-1', kind: 'audio' },
      { role: 'customer', peerId: 'customer-1', kind: 'audio' },
    ],
  };
}

/** Waits until the tap consumes both legs (consumers are created asynchronously). */
async function tapReady(rig: RecordingRig, recordingId: string): Promise<void> {
  const tap = rig.recordings.get(recordingId);
  assert.ok(tap);
  while (tap.summary().legs.some((leg) => leg.ssrc === null)) await new Promise((resolve) => setImmediate(resolve));
}

interface Plan {
  source: RtpSource;
  ssrc: number;
  packets: Buffer[];
  /** Tick (20 ms) at which the first packet is sent. */
  startTick: number;
  /** Indexes never sent (loss). */
  lost?: Set<number>;
  /** Indexes sent one tick late, after their successor (reordering). */
  late?: Set<number>;
  tsBase: number;
  seqBase: number;
}

/** Sends every plan's packets paced in real time, one per 20 ms tick, as browsers do. */
async function play(plans: Plan[]): Promise<void> {
  const ticks = Math.max(...plans.map((p) => p.startTick + p.packets.length)) + 2;
  const started = performance.now();
  const held = new Map<Plan, number>();
  for (let tick = 0; tick < ticks; tick++) {
    for (const plan of plans) {
      const index = tick - plan.startTick;
      const send = (i: number) => {
        const payload = plan.packets[i];
        if (!payload) return Promise.resolve();
        return plan.source.send(
          rtpPacket({ payloadType: OPUS_PAYLOAD_TYPE, seq: plan.seqBase + i, timestamp: plan.tsBase + i * 960, ssrc: plan.ssrc, payload }),
        );
      };
      if (index < 0 || index >= plan.packets.length || plan.lost?.has(index)) continue;
      if (plan.late?.has(index)) {
        held.set(plan, index);
        continue;
      }
      await send(index);
      const late = held.get(plan);
      if (late !== undefined) {
        held.delete(plan);
        await send(late);
      }
    }
    // Pace on the clock, not on a sum of timer delays, so the legs' wall times are right.
    const due = started + (tick + 1) * FRAME_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
}

describe('recording composer (SPEC §13 files)', () => {
  let rig: RecordingRig;
  let dir: string;
  before(async () => {
    rig = await startRecordingRig();
    dir = await mkdtemp(path.join(os.tmpdir(), 'recordings-'));
  });
  after(async () => {
    rig.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function record(
    id: string,
    composition: ComposerStart['composition'],
    run: (sources: { agent: RtpSource; customer: RtpSource }) => Promise<void>,
  ): Promise<SpooledResult> {
    const recording = await Recording.start({
      request: request(id, composition),
      ip: '127.0.0.1',
      dir,
      jitterMs: 100,
      now: Date.now,
      logger: pino({ level: 'silent' }),
    });
    await rig.recordings.start({ recordingId: id, legs: recording.session().legs });
    const agent = await rig.audioSource('agent-1', 1111);
    const customer = await rig.audioSource('customer-1', 2222);
    await tapReady(rig, id);
    try {
      await run({ agent, customer });
    } finally {
      rig.recordings.stop(id);
      agent.close();
      customer.close();
    }
    return recording.stop();
  }

  it('writes per-leg Ogg Opus and a merged stereo file aligned on the SFU clock, through loss and reordering', async () => {
    // Agent: tones at 1.0 s and 2.2 s of its own audio. Customer: joins 0.3 s later, tone at its 1.2 s (1.5 s of the call).
    const agentPackets = await opusPackets(3, 440, [
      [1.0, 1.4],
      [2.2, 2.6],
    ]);
    const customerPackets = await opusPackets(2.5, 880, [[1.2, 1.6]]);
    const result = await record('merged-1', 'merged', async ({ agent, customer }) => {
      await play([
        {
          source: agent,
          ssrc: 1111,
          packets: agentPackets,
          startTick: 0,
          // 5 % loss, a 200 ms burst, and a few packets overtaken by their successors.
          lost: new Set([...Array.from({ length: 8 }, (_, i) => 7 + i * 20), ...Array.from({ length: 10 }, (_, i) => 80 + i)]),
          late: new Set([20, 41, 62, 103, 124]),
          tsBase: 4_294_960_000, // wraps during the call
          seqBase: 65_500,
        },
        { source: customer, ssrc: 2222, packets: customerPackets, startTick: 15, tsBase: 123_456, seqBase: 1 },
      ]);
    });

    assert.deepEqual(result.failures, []);
    const byLeg = Object.fromEntries(result.files.map((f) => [f.leg, f]));
    assert.equal(
      byLeg['agent']?.fileName,
      `conv-merged-1_Ada-Agent_Bob-+44-20-7946-0000_${byLeg['agent']?.startedAt.replace(/[-:T]/g, '').slice(0, 14)}_agent.opus`,
    );
    // The files wait in the spool for the upload queue.
    for (const file of result.files) await access(file.spoolPath);

    // Per-leg files: codec, one channel, a duration matching what was sent (loss and the burst filled in).
    const agentFile = byLeg['agent']?.spoolPath ?? '';
    const agentProbe = await probe(agentFile);
    assert.equal(agentProbe.codec, 'opus');
    assert.equal(agentProbe.channels, 1);
    assert.ok(Math.abs(agentProbe.durationS - (agentPackets.length * FRAME_MS) / 1000) < 0.05, `agent leg lasts ${agentProbe.durationS} s`);
    const [agentPcm] = await decode(agentFile, 1);
    assert.ok(agentPcm);
    const agentOnsets = onsetsMs(agentPcm);
    assert.equal(agentOnsets.length, 2, `agent onsets ${agentOnsets.join(',')}`);
    assert.ok(
      Math.abs((agentOnsets[0] ?? 0) - 1000) <= 30 && Math.abs((agentOnsets[1] ?? 0) - 2200) <= 30,
      `agent onsets ${agentOnsets.join(',')}`,
    );

    // Merged: two channels, as long as the call, energy on both, each side where it was in time.
    const merged = byLeg['merged'];
    assert.ok(merged);
    assert.equal(merged.channelLayout, 'stereo_agent_left_customer_right');
    const mergedFile = merged.spoolPath;
    const mergedProbe = await probe(mergedFile);
    assert.equal(mergedProbe.codec, 'opus');
    assert.equal(mergedProbe.channels, 2);
    assert.equal(mergedProbe.tags['channel_layout'], 'left=agent right=customer');
    // Sender Reports usually arrive within 3 s; without any the legs are placed by arrival time.
    assert.ok(['sender_reports', 'arrival'].includes(mergedProbe.tags['clock'] ?? ''));
    assert.ok(Math.abs(mergedProbe.durationS - (agentPackets.length * FRAME_MS) / 1000) < 0.5, `merged lasts ${mergedProbe.durationS} s`);
    const [left, right] = await decode(mergedFile, 2);
    assert.ok(left && right);
    assert.ok(Math.max(...energy(left)) > 1000 && Math.max(...energy(right)) > 1000, 'energy on both channels');
    const leftOnsets = onsetsMs(left);
    const rightOnsets = onsetsMs(right);
    assert.deepEqual([leftOnsets.length, rightOnsets.length], [2, 1], `left ${leftOnsets.join(',')} right ${rightOnsets.join(',')}`);
    // The customer started 300 ms after the agent: its tone (1.2 s of its audio) is at 1.5 s of the call.
    assert.ok(Math.abs((leftOnsets[0] ?? 0) - 1000) <= 40, `left onset ${leftOnsets[0]}`);
    assert.ok(Math.abs((rightOnsets[0] ?? 0) - 1500) <= 40, `right onset ${rightOnsets[0]}`);
  });

  it('keeps a reloaded participant on the same leg: one file, the time away filled with silence', async () => {
    const first = await opusPackets(1, 880, [[0.2, 0.5]]);
    const second = await opusPackets(1, 880, [[0.2, 0.5]]);
    const agentPackets = await opusPackets(2.6, 440, [[0.2, 0.5]]);
    /** When each run of the customer's audio started (wall clock): the file must keep that distance. */
    const starts: number[] = [];
    const result = await record('reload-1', 'merged', async ({ agent, customer }) => {
      const agentRun = play([{ source: agent, ssrc: 1111, packets: agentPackets, startTick: 0, tsBase: 0, seqBase: 0 }]);
      starts.push(performance.now());
      await play([{ source: customer, ssrc: 2222, packets: first, startTick: 0, tsBase: 5000, seqBase: 100 }]);
      // The page reloads: its producer goes, 0.5 s later a new one (new SSRC, new bases) comes.
      customer.close();
      const started = performance.now();
      const again = await rig.audioSource('customer-1', 3333);
      await tapReady(rig, 'reload-1');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 500 - (performance.now() - started))));
      starts.push(performance.now());
      await play([{ source: again, ssrc: 3333, packets: second, startTick: 0, tsBase: 900_000, seqBase: 40_000 }]);
      await agentRun;
      again.close();
    });
    const customerFile = result.files.find((f) => f.leg === 'customer');
    assert.ok(customerFile);
    assert.equal(result.files.filter((f) => f.leg === 'customer').length, 1);
    const [pcm] = await decode(customerFile.spoolPath, 1);
    assert.ok(pcm);
    const onsets = onsetsMs(pcm);
    // Tones at 0.2 s of each run; the second run started about 1.5 s after the first (1 s + 0.5 s
    // away, more on a busy machine): the file keeps the measured distance.
    const apart = (starts[1] ?? 0) - (starts[0] ?? 0);
    assert.equal(onsets.length, 2, `onsets ${onsets.join(',')}`);
    assert.ok(
      Math.abs((onsets[1] ?? 0) - (onsets[0] ?? 0) - apart) <= 80,
      `onsets ${onsets.join(',')}, runs ${Math.round(apart)} ms apart`,
    );
  });
});
