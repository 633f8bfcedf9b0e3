/**
 * One recording (an agent segment of a call): a UDP leg receiver per participant, a leg
 * file written while the call goes on (spooled), and on stop the merged stereo file. The
 * finished files stay in the spool until the upload queue has stored them under their SPEC
 * names.
 */
import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { ComposerResult, ComposerSession, ComposerStart, RecordedFile, RecordingLegRole } from '@cc/contracts';
import type { SpooledFile } from './uploads/UploadQueue.ts';
import { recordingBaseName } from './file-names.ts';
import { AUDIO_CLOCK_RATE, LegReceiver, type Epoch, type LegPacket } from './LegReceiver.ts';
import { LegTimeline } from './LegTimeline.ts';
import type { Logger } from './logger.ts';
import { MergeError, multistreamPacket, placeInSlots, type LegHistory } from './merge.ts';
import { OggOpusFile } from './OggOpusFile.ts';
import { SAMPLES_20MS } from './opus.ts';

export interface RecordingOptions {
  request: ComposerStart;
  /** IP the leg sockets bind (and the SFU sends to). */
  ip: string;
  /** Recordings folder; the spool is `<dir>/.spool/<recordingId>` (the same file system as local storage). */
  dir: string;
  jitterMs: number;
  now: () => number;
  logger: Logger;
}

interface Leg {
  role: RecordingLegRole;
  peerId: string;
  receiver: LegReceiver;
  file: OggOpusFile | undefined;
  timeline: LegTimeline | undefined;
  history: LegHistory;
  firstArrivalMs: number | undefined;
}

const LEG_TAGS: Record<RecordingLegRole, string> = { agent: 'agent', customer: 'customer' };

/** What a stopped recording made: files still in the spool, and what could not be made. */
export interface SpooledResult {
  recordingId: string;
  files: SpooledFile[];
  failures: ComposerResult['failures'];
}

export class Recording {
  readonly id: string;
  readonly #options: RecordingOptions;
  readonly #legs: Leg[] = [];
  readonly #spool: string;
  #result: Promise<SpooledResult> | undefined;

  private constructor(options: RecordingOptions, spool: string) {
    this.id = options.request.recordingId;
    this.#options = options;
    this.#spool = spool;
  }

  static async start(options: RecordingOptions): Promise<Recording> {
    const roles = options.request.legs.map((leg) => leg.role);
    if (new Set(roles).size !== roles.length) throw new RangeError('One leg per role');
    const spool = path.join(options.dir, '.spool', options.request.recordingId);
    await mkdir(spool, { recursive: true });
    const recording = new Recording(options, spool);
    try {
      for (const { role, peerId } of options.request.legs) {
        const receiver = await LegReceiver.open({
          ip: options.ip,
          holdMs: options.jitterMs,
          now: options.now,
          onPacket: (packet, epoch) => recording.#onPacket(role, packet, epoch),
        });
        recording.#legs.push({
          role,
          peerId,
          receiver,
          file: undefined,
          timeline: undefined,
          history: { packets: [] },
          firstArrivalMs: undefined,
        });
      }
    } catch (error) {
      for (const leg of recording.#legs) leg.receiver.close();
      throw error;
    }
    options.logger.info({ recordingId: recording.id, ports: recording.#legs.map((l) => l.receiver.port) }, 'recording started');
    return recording;
  }

  session(): ComposerSession {
    return {
      recordingId: this.id,
      legs: this.#legs.map((leg) => ({ role: leg.role, peerId: leg.peerId, kind: 'audio', ip: this.#options.ip, port: leg.receiver.port })),
    };
  }

  get request(): ComposerStart {
    return this.#options.request;
  }

  /** Stops receiving and produces the files in the spool; repeated calls share one result. */
  stop(): Promise<SpooledResult> {
    this.#result ??= this.#finish();
    return this.#result;
  }

  #onPacket(role: RecordingLegRole, packet: LegPacket, epoch: Epoch): void {
    const leg = this.#legs.find((l) => l.role === role);
    if (!leg) return;
    if (!leg.file) {
      // Opened at the first packet: a leg that never sent audio leaves no empty file behind.
      const file = new OggOpusFile(path.join(this.#spool, `${leg.role}.opus`), 'mono', this.#tags(leg.role));
      leg.file = file;
      leg.timeline = new LegTimeline((payload, samples) => file.write(payload, samples));
      leg.firstArrivalMs = epoch.arrivalBaseMs + ((packet.ts - epoch.firstTs) * 1000) / AUDIO_CLOCK_RATE;
    }
    leg.timeline?.add(packet, epoch);
    if (this.#options.request.composition === 'merged') leg.history.packets.push({ packet, epoch });
  }

  #tags(leg: RecordingLegRole | 'merged'): Record<string, string> {
    const r = this.#options.request;
    return {
      TITLE: `${r.agentName} / ${r.endUser}`,
      CONVERSATION_ID: r.conversationId,
      CALL_ID: r.callId,
      AGENT: r.agentName,
      END_USER: r.endUser,
      LEG: leg,
      CHANNEL_LAYOUT: leg === 'merged' ? 'left=agent right=customer' : `mono=${LEG_TAGS[leg]}`,
      TRANSCODED: 'no',
    };
  }

  async #finish(): Promise<SpooledResult> {
    const { request, logger } = this.#options;
    for (const leg of this.#legs) leg.receiver.close();
    const starts = this.#legs.flatMap((leg) => (leg.firstArrivalMs === undefined ? [] : [leg.firstArrivalMs]));
    const startedAt = new Date(starts.length > 0 ? Math.min(...starts) : this.#options.now());
    const base = recordingBaseName({ ...request, startedAt });
    const files: SpooledFile[] = [];
    const failures: ComposerResult['failures'] = [];

    for (const leg of this.#legs) {
      if (!leg.file || leg.firstArrivalMs === undefined) {
        failures.push({ leg: leg.role, code: 'no_audio', message: 'This leg carried no audio' });
        continue;
      }
      const { bytes } = await leg.file.close();
      files.push(this.#place(leg.file, `${base}_${leg.role}.opus`, leg.role, new Date(leg.firstArrivalMs), bytes));
      logger.info({ recordingId: this.id, leg: leg.role, ...leg.receiver.stats, filled: leg.timeline?.filled }, 'leg recorded');
    }

    if (request.composition === 'merged') {
      try {
        files.push(await this.#merge(`${base}.opus`, startedAt));
      } catch (error) {
        if (!(error instanceof MergeError)) throw error;
        failures.push({ leg: 'merged', code: error.code, message: error.message });
      }
    }
    // A recording without any file leaves no spool folder behind (one with files keeps it for the uploads).
    if (files.length === 0) await rmdir(this.#spool).catch(() => undefined);
    logger.info({ recordingId: this.id, files: files.map((f) => f.fileName), failures }, 'recording finished');
    return { recordingId: this.id, files, failures };
  }

  async #merge(fileName: string, startedAt: Date): Promise<SpooledFile> {
    const agent = this.#legs.find((l) => l.role === 'agent')?.history ?? { packets: [] };
    const customer = this.#legs.find((l) => l.role === 'customer')?.history ?? { packets: [] };
    const { slots, clock } = placeInSlots([agent, customer]);
    const file = new OggOpusFile(path.join(this.#spool, 'merged.opus'), 'two_mono_streams', {
      ...this.#tags('merged'),
      CLOCK: clock,
    });
    for (const slot of slots) file.write(multistreamPacket(slot), SAMPLES_20MS);
    const { bytes } = await file.close();
    return this.#place(file, fileName, 'merged', startedAt, bytes);
  }

  /** Describes a finished spool file under the name it should be stored as. */
  #place(file: OggOpusFile, fileName: string, leg: RecordedFile['leg'], startedAt: Date, bytes: number): SpooledFile {
    const durationMs = Math.round((file.samples * 1000) / AUDIO_CLOCK_RATE);
    return {
      fileName,
      spoolPath: file.path,
      leg,
      channelLayout: leg === 'merged' ? 'stereo_agent_left_customer_right' : 'mono',
      codec: 'opus',
      transcoded: false,
      startedAt: startedAt.toISOString(),
      endedAt: new Date(startedAt.getTime() + durationMs).toISOString(),
      durationMs,
      bytes,
    };
  }
}
