/**
 * A video leg's audio (SPEC §13 `audio_and_video`): kept in memory for the WebM muxed at stop
 * (it is small: ~4 kB/s) and spooled as it comes to `<role>.audio` (SpoolRecords), so that a
 * composer killed mid-call gets it back. Records, in file order:
 * - `0 | u32 SSRC | f64 epoch's first ts | f64 epoch's arrival base (ms) | f64 ts`: where the
 *   leg's first packet is, written before it;
 * - `1 | u32 samples | Opus packet`: every packet as LegTimeline placed it (gaps already filled).
 * The first packet's epoch comes back without its Sender Reports: epoch-clock.ts then places
 * the audio by the composer's clock, moved onto the SFU's by the offset of the epochs after
 * the restart (exact SFU-clock alignment of that part is not restored).
 */
import { AUDIO_CLOCK_RATE, type Epoch } from './LegReceiver.ts';
import type { LegAudio } from './leg-webm.ts';
import { SpoolRecords } from './SpoolRecords.ts';

const FIRST = 0;
const PACKET = 1;

export class LegAudioSpool implements LegAudio {
  first: LegAudio['first'];
  readonly packets: LegAudio['packets'] = [];
  readonly epochs: Epoch[] = [];
  readonly #file: SpoolRecords;
  /** Samples written so far (gaps included). */
  samples = 0;

  private constructor(file: SpoolRecords) {
    this.#file = file;
  }

  static create(path: string): LegAudioSpool {
    return new LegAudioSpool(SpoolRecords.create(path));
  }

  /** What an earlier run spooled (cut back to the last whole record); appends go on after it. */
  static async resume(path: string): Promise<{ audio: LegAudioSpool; cutBytes: number }> {
    const { file, records, cutBytes } = await SpoolRecords.reopen(path);
    const audio = new LegAudioSpool(file);
    for (const { body } of records) {
      if (body[0] === FIRST && body.length >= 29 && !audio.first) {
        const epoch: Epoch = {
          ssrc: body.readUInt32BE(1),
          clockRate: AUDIO_CLOCK_RATE,
          firstTs: body.readDoubleBE(5),
          arrivalBaseMs: body.readDoubleBE(13),
          senderReports: [],
        };
        audio.first = { epoch, ts: body.readDoubleBE(21) };
        audio.epochs.push(epoch);
      } else if (body[0] === PACKET && body.length > 5 && audio.first) {
        const samples = body.readUInt32BE(1);
        audio.packets.push({ payload: body.subarray(5), samples });
        audio.samples += samples;
      }
    }
    return { audio, cutBytes };
  }

  /** The composer's clock at the first packet (undefined before it). */
  get firstWallMs(): number | undefined {
    if (!this.first) return undefined;
    const { epoch, ts } = this.first;
    return epoch.arrivalBaseMs + ((ts - epoch.firstTs) * 1000) / epoch.clockRate;
  }

  /** Records where the leg's first packet is (once). */
  start(epoch: Epoch, ts: number): void {
    if (this.first) return;
    this.first = { epoch, ts };
    const body = Buffer.alloc(29);
    body.writeUInt8(FIRST, 0);
    body.writeUInt32BE(epoch.ssrc >>> 0, 1);
    body.writeDoubleBE(epoch.firstTs, 5);
    body.writeDoubleBE(epoch.arrivalBaseMs, 13);
    body.writeDoubleBE(ts, 21);
    this.#file.append(body);
  }

  write(payload: Uint8Array, samples: number): void {
    this.packets.push({ payload, samples });
    this.samples += samples;
    const header = Buffer.alloc(5);
    header.writeUInt8(PACKET, 0);
    header.writeUInt32BE(samples, 1);
    this.#file.append(Buffer.concat([header, payload]));
  }

  close(): void {
    this.#file.close();
  }
}
