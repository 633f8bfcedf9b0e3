/**
 * The merged recording of one agent segment (SPEC §13): the agent on the left channel and
 * the customer on the right, without transcoding. Both legs' packets are placed on one
 * clock in 20 ms slots and each slot becomes one multistream packet: the agent's packet in
 * self-delimited form, then the customer's (RFC 7845 §5.1.1, mapping family 1, two
 * uncoupled streams). A slot a leg has no packet for gets a silence packet.
 *
 * The clock is the SFU's, from its RTCP Sender Reports (epoch-clock.ts); composed after the
 * call, when every report is in.
 */
import { epochBases, wallMs, type EpochClock } from './epoch-clock.ts';
import { AUDIO_CLOCK_RATE, type Epoch, type LegPacket } from './LegReceiver.ts';
import { packetSamples, SAMPLES_20MS, SILENCE_20MS, toSelfDelimited } from './opus.ts';

const SAMPLES_PER_MS = AUDIO_CLOCK_RATE / 1000;
const SLOT_MS = SAMPLES_20MS / SAMPLES_PER_MS;

export interface LegHistory {
  packets: { packet: LegPacket; epoch: Epoch }[];
}

export type MergeClock = EpochClock;

export class MergeError extends Error {
  override name = 'MergeError';
  readonly code: 'unsupported_frame_size' | 'no_audio';
  constructor(code: MergeError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface MergedSlots {
  /** Per 20 ms slot: [agent packet, customer packet] (null: nothing there). */
  slots: [Uint8Array | null, Uint8Array | null][];
  clock: MergeClock;
  /** Where each leg's first packet landed, in ms from the file's start (for the metadata and tests). */
  firstAudioMs: [number | null, number | null];
}

export function placeInSlots(legs: [LegHistory, LegHistory]): MergedSlots {
  const clock = epochBases(legs.flatMap((leg) => leg.packets.map((p) => p.epoch)));
  const wallOf = ({ packet, epoch }: { packet: LegPacket; epoch: Epoch }) => wallMs(clock, epoch, packet.ts);

  const all = legs.flatMap((leg) => leg.packets);
  if (all.length === 0) throw new MergeError('no_audio', 'Neither leg carried audio');
  const startMs = Math.min(...all.map(wallOf));
  const slots: MergedSlots['slots'] = [];
  const firstAudioMs: MergedSlots['firstAudioMs'] = [null, null];
  legs.forEach((leg, channel) => {
    for (const entry of leg.packets) {
      if (packetSamples(entry.packet.payload) !== SAMPLES_20MS) {
        throw new MergeError('unsupported_frame_size', 'Merging without transcoding needs 20 ms Opus packets on both legs');
      }
      const at = wallOf(entry) - startMs;
      const index = Math.round(at / SLOT_MS);
      firstAudioMs[channel] ??= at;
      const slot = (slots[index] ??= [null, null]);
      // Two packets in one slot (clock jitter): the first keeps it, the timeline stays put.
      slot[channel] ??= entry.packet.payload;
    }
  });
  for (let i = 0; i < slots.length; i++) slots[i] ??= [null, null];
  return { slots, clock: clock.clock, firstAudioMs };
}

/** One multistream packet: stream 0 (left, agent) self-delimited, then stream 1 (right, customer). */
export function multistreamPacket([left, right]: [Uint8Array | null, Uint8Array | null]): Uint8Array {
  const first = toSelfDelimited(left ?? SILENCE_20MS);
  const second = right ?? SILENCE_20MS;
  const packet = new Uint8Array(first.length + second.length);
  packet.set(first, 0);
  packet.set(second, first.length);
  return packet;
}
