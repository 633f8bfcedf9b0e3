/**
 * Places one leg's packets on the leg file's timeline (48 kHz samples from the leg's first
 * packet) so that the file plays as long as the leg lasted:
 * - within an epoch (one SSRC), the RTP timestamp says where each packet goes; lost packets,
 *   a paused producer or a muted sender leave gaps, filled with 20 ms silence packets;
 * - a new epoch (a reloaded peer) starts after the time that passed since the previous one
 *   ended, by the composer's clock;
 * - a packet overlapping what is written (a duplicate under another sequence number) is dropped;
 * - a timeline resumed after a restart of the composer goes on from the file's end: its first
 *   epoch starts after the time that passed since then (the outage becomes silence).
 */
import { AUDIO_CLOCK_RATE, type Epoch, type LegPacket } from './LegReceiver.ts';
import { packetSamples, SAMPLES_20MS, SILENCE_20MS } from './opus.ts';

const SAMPLES_PER_MS = AUDIO_CLOCK_RATE / 1000;

export class LegTimeline {
  readonly #write: (packet: Uint8Array, samples: number) => void;
  #next = 0;
  #epoch: Epoch | undefined;
  /** Position of the epoch's reference timestamp (`#epochTs`). */
  #epochPos = 0;
  #epochTs = 0;
  #endWallMs = 0;
  /** Packets not written: overlapping or not Opus. */
  skipped = 0;
  /** Silence packets written for lost or missing time. */
  filled = 0;

  readonly #resumed: boolean;

  /** `from`: a file written before a restart, its length (samples) and the wall time its end stands for. */
  constructor(write: (packet: Uint8Array, samples: number) => void, from?: { position: number; wallMs: number }) {
    this.#write = write;
    this.#resumed = from !== undefined;
    if (from) {
      this.#next = from.position;
      this.#endWallMs = from.wallMs;
    }
  }

  add(packet: LegPacket, epoch: Epoch): void {
    const samples = packetSamples(packet.payload);
    if (samples === 0) {
      this.skipped++;
      return;
    }
    if (epoch !== this.#epoch) {
      const wallMs = epoch.arrivalBaseMs + (packet.ts - epoch.firstTs) / SAMPLES_PER_MS;
      const gap = this.#epoch || this.#resumed ? Math.max(0, Math.round((wallMs - this.#endWallMs) * SAMPLES_PER_MS)) : 0;
      this.#epoch = epoch;
      this.#epochPos = this.#next + gap;
      this.#epochTs = packet.ts;
    }
    const position = this.#epochPos + (packet.ts - this.#epochTs);
    if (position < this.#next - SAMPLES_20MS / 2) {
      this.skipped++;
      return;
    }
    const missing = Math.round((position - this.#next) / SAMPLES_20MS);
    for (let i = 0; i < missing; i++) this.#write(SILENCE_20MS, SAMPLES_20MS);
    this.filled += Math.max(0, missing);
    this.#next += Math.max(0, missing) * SAMPLES_20MS;
    this.#write(packet.payload, samples);
    this.#next += samples;
    this.#endWallMs = epoch.arrivalBaseMs + (packet.ts + samples - epoch.firstTs) / SAMPLES_PER_MS;
  }
}
