import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Epoch, LegPacket } from './LegReceiver.ts';
import { placeInSlots, type LegHistory } from './merge.ts';

const PACKET = Buffer.from([0xf8, 0x01, 0x02]); // a 20 ms CELT packet

function leg(epoch: Epoch, count: number): LegHistory {
  return {
    packets: Array.from({ length: count }, (_, i): { packet: LegPacket; epoch: Epoch } => ({
      packet: { ssrc: epoch.ssrc, seq: i, ts: epoch.firstTs + i * 960, marker: false, payload: PACKET, arrivalMs: 0 },
      epoch,
    })),
  };
}

describe('merged timeline', () => {
  it('places legs by the SFU Sender Reports, even when arrival times say otherwise', () => {
    // The customer's packets reached the composer 500 ms late (arrival), but the SFU's reports
    // say its audio started 100 ms after the agent's.
    const agent: Epoch = {
      ssrc: 1,
      clockRate: 48000,
      firstTs: 1000,
      arrivalBaseMs: 10_000,
      senderReports: [{ ntpMs: 50_000 + 200, ts: 1000 + 9600 }],
    };
    const customer: Epoch = {
      ssrc: 2,
      clockRate: 48000,
      firstTs: 77,
      arrivalBaseMs: 10_600,
      senderReports: [{ ntpMs: 50_100 + 400, ts: 77 + 19200 }],
    };
    const placed = placeInSlots([leg(agent, 50), leg(customer, 50)]);
    assert.equal(placed.clock, 'sender_reports');
    assert.deepEqual(placed.firstAudioMs, [0, 100]);
    assert.equal(placed.slots.length, 55);
    assert.equal(placed.slots[4]?.[1], null);
    assert.equal(placed.slots[5]?.[1], PACKET);
  });

  it('moves an epoch without reports onto the SFU clock by the offset seen on the others', () => {
    const agent: Epoch = { ssrc: 1, clockRate: 48000, firstTs: 0, arrivalBaseMs: 10_000, senderReports: [{ ntpMs: 90_000, ts: 0 }] };
    const customer: Epoch = { ssrc: 2, clockRate: 48000, firstTs: 0, arrivalBaseMs: 10_240, senderReports: [] };
    const placed = placeInSlots([leg(agent, 20), leg(customer, 20)]);
    assert.equal(placed.clock, 'sender_reports');
    assert.deepEqual(placed.firstAudioMs, [0, 240]);
  });

  it('falls back to arrival times when no leg has a report', () => {
    const agent: Epoch = { ssrc: 1, clockRate: 48000, firstTs: 0, arrivalBaseMs: 10_060, senderReports: [] };
    const customer: Epoch = { ssrc: 2, clockRate: 48000, firstTs: 0, arrivalBaseMs: 10_000, senderReports: [] };
    const placed = placeInSlots([leg(agent, 10), leg(customer, 10)]);
    assert.equal(placed.clock, 'arrival');
    assert.deepEqual(placed.firstAudioMs, [60, 0]);
  });
});
