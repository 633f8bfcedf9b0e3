/**
 * Places epochs (one SSRC each, see LegReceiver) on one clock: the SFU's, from its RTCP Sender
 * Reports. Every consumer of the SFU's worker reports the same NTP clock, so a leg's audio and
 * video, and the agent's and the customer's legs, line up on it. One SR places a whole epoch
 * (its RTP timestamps are linear), so reports that came late still place the packets before
 * them; epochs without a report use the composer's arrival clock, moved onto the SFU's by the
 * offset seen on epochs that have both.
 */
import type { Epoch } from './LegReceiver.ts';

export type EpochClock = 'sender_reports' | 'arrival';

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The SFU-clock time (ms) of the epoch's first timestamp, from its Sender Reports. */
function reportBase(epoch: Epoch): number | undefined {
  return median(epoch.senderReports.map((sr) => sr.ntpMs - ((sr.ts - epoch.firstTs) * 1000) / epoch.clockRate));
}

export interface EpochBases {
  /** Per epoch: the time (ms, SFU clock) of its first RTP timestamp. */
  bases: Map<Epoch, number>;
  clock: EpochClock;
}

export function epochBases(epochs: Iterable<Epoch>): EpochBases {
  const all = [...new Set(epochs)];
  const offset = median(
    all.flatMap((epoch) => {
      const base = reportBase(epoch);
      return base === undefined ? [] : [base - epoch.arrivalBaseMs];
    }),
  );
  const bases = new Map<Epoch, number>();
  for (const epoch of all) bases.set(epoch, reportBase(epoch) ?? epoch.arrivalBaseMs + (offset ?? 0));
  return { bases, clock: offset === undefined ? 'arrival' : 'sender_reports' };
}

/** The time (ms, on the clock of `bases`) of RTP timestamp `ts` of `epoch`. */
export function wallMs(bases: EpochBases, epoch: Epoch, ts: number): number {
  return (bases.bases.get(epoch) ?? epoch.arrivalBaseMs) + ((ts - epoch.firstTs) * 1000) / epoch.clockRate;
}
