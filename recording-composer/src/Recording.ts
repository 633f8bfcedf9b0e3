/**
 * One recording (an agent segment of a call): a UDP leg receiver per participant, a leg
 * file written while the call goes on (spooled), and on stop the merged stereo file. The
 * finished files stay in the spool until the upload queue has stored them under their SPEC
 * names.
 *
 * A composer killed mid-call takes its recordings up again when it restarts (`resume`): the
 * manifest written at start gives the request and the ports, each leg file is cut back to
 * its last whole page and goes on, and the time the composer was away becomes silence, so
 * the files still last as long as the call did.
 */
import { mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { ComposerResult, ComposerSession, ComposerStart, RecordedFile, RecordingLegRole } from '@cc/contracts';
import type { SpooledFile } from './uploads/UploadQueue.ts';
import { recordingBaseName } from './file-names.ts';
import { AUDIO_CLOCK_RATE, LegReceiver, type Epoch, type LegPacket } from './LegReceiver.ts';
import { LegTimeline } from './LegTimeline.ts';
import type { Logger } from './logger.ts';
import { MergeError, multistreamPacket, placeInSlots, type LegHistory } from './merge.ts';
import { OggOpusFile, type ResumedOggOpus } from './OggOpusFile.ts';
import { SAMPLES_20MS } from './opus.ts';
import { writeManifest, type RecordingManifest } from './RecordingManifest.ts';

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

/** How long a resumed recording tries to get its ports back (a UDP port is free once its process is gone). */
const REBIND_MS = 2_000;

interface Leg {
  role: RecordingLegRole;
  peerId: string;
  port: number;
  /** None when a resumed leg could not get its port back: the leg keeps what it had. */
  receiver: LegReceiver | undefined;
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
  readonly #startedAtMs: number;
  #result: Promise<SpooledResult> | undefined;

  private constructor(options: RecordingOptions, spool: string, startedAtMs: number) {
    this.id = options.request.recordingId;
    this.#options = options;
    this.#spool = spool;
    this.#startedAtMs = startedAtMs;
  }

  /** Opens the legs' ports and writes the manifest, so the recording outlives a crash from here on. */
  static async start(options: RecordingOptions): Promise<Recording> {
    const roles = options.request.legs.map((leg) => leg.role);
    if (new Set(roles).size !== roles.length) throw new RangeError('One leg per role');
    const spool = path.join(options.dir, '.spool', options.request.recordingId);
    await mkdir(spool, { recursive: true });
    const recording = new Recording(options, spool, options.now());
    try {
      for (const { role, peerId } of options.request.legs) {
        const receiver = await recording.#open(role);
        recording.#legs.push(Recording.#leg(role, peerId, receiver.port, receiver));
      }
      await writeManifest(options.dir, recording.#manifest());
    } catch (error) {
      for (const leg of recording.#legs) leg.receiver?.close();
      throw error;
    }
    options.logger.info({ recordingId: recording.id, ports: recording.#legs.map((l) => l.port) }, 'recording started');
    return recording;
  }

  /**
   * Takes up a recording an earlier run of this composer left in progress (it was killed):
   * the same ports, and each leg file continued where its last whole page ends. A merged
   * recording gets the packets already written back as its history (placed by the
   * composer's clock), so the merged file covers the whole call.
   */
  static async resume(options: Omit<RecordingOptions, 'request'>, manifest: RecordingManifest): Promise<Recording> {
    const all = { ...options, request: manifest.request };
    const spool = path.join(options.dir, '.spool', manifest.request.recordingId);
    await mkdir(spool, { recursive: true });
    // A merged file half-written when the composer died is composed again at stop.
    await rm(path.join(spool, 'merged.opus'), { force: true });
    const recording = new Recording(all, spool, manifest.startedAtMs);
    const log = options.logger.child({ recordingId: recording.id });
    for (const { role, peerId } of manifest.request.legs) {
      const port = manifest.legs.find((leg) => leg.role === role)?.port;
      if (port === undefined) throw new Error(`The manifest has no port for the ${role} leg`);
      const leg = Recording.#leg(role, peerId, port, undefined);
      recording.#legs.push(leg);
      const resumed = await OggOpusFile.resume(path.join(spool, `${role}.opus`)).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      });
      if (resumed) recording.#continue(leg, resumed, manifest.startedAtMs);
      log.info(
        { leg: role, port, resumedMs: leg.file ? Math.round(leg.file.samples / 48) : 0, cutBytes: resumed?.cutBytes ?? 0 },
        'leg resumed',
      );
    }
    for (const leg of recording.#legs) {
      const deadline = options.now() + REBIND_MS;
      for (;;) {
        try {
          leg.receiver = await recording.#open(leg.role, leg.port);
          break;
        } catch (error) {
          if (options.now() >= deadline) {
            // The recording keeps what was written before the crash; stop still files it.
            log.error({ err: error, leg: leg.role, port: leg.port }, 'the leg port cannot be bound again; the rest of the leg is lost');
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
    return recording;
  }

  static #leg(role: RecordingLegRole, peerId: string, port: number, receiver: LegReceiver | undefined): Leg {
    return { role, peerId, port, receiver, file: undefined, timeline: undefined, history: { packets: [] }, firstArrivalMs: undefined };
  }

  #open(role: RecordingLegRole, port?: number): Promise<LegReceiver> {
    const { ip, jitterMs, now } = this.#options;
    return LegReceiver.open({ ip, port, holdMs: jitterMs, now, onPacket: (packet, epoch) => this.#onPacket(role, packet, epoch) });
  }

  /** Goes on writing a leg file from before a restart: its timeline ends at the file's end, in wall time. */
  #continue(leg: Leg, resumed: ResumedOggOpus, fallbackStartMs: number): void {
    const { file, tags, packets } = resumed;
    const startedMs = Date.parse(tags['STARTED_AT'] ?? '');
    const firstArrivalMs = Number.isFinite(startedMs) ? startedMs : fallbackStartMs;
    leg.file = file;
    leg.firstArrivalMs = firstArrivalMs;
    leg.timeline = new LegTimeline((payload, samples) => file.write(payload, samples), {
      position: file.samples,
      wallMs: firstArrivalMs + (file.samples * 1000) / AUDIO_CLOCK_RATE,
    });
    if (this.#options.request.composition !== 'merged') return;
    // One epoch stands for everything before the restart: positions are its RTP timestamps.
    const epoch: Epoch = { ssrc: -1, firstTs: 0, arrivalBaseMs: firstArrivalMs, senderReports: [] };
    for (const [seq, { payload, position }] of packets.entries()) {
      const arrivalMs = firstArrivalMs + (position * 1000) / AUDIO_CLOCK_RATE;
      leg.history.packets.push({ packet: { ssrc: -1, seq, ts: position, payload, arrivalMs }, epoch });
    }
  }

  #manifest(stopped?: RecordingManifest['stopped']): RecordingManifest {
    return {
      version: 1,
      request: this.#options.request,
      ip: this.#options.ip,
      legs: this.#legs.map(({ role, port }) => ({ role, port })),
      startedAtMs: this.#startedAtMs,
      stopped,
    };
  }

  session(): ComposerSession {
    return {
      recordingId: this.id,
      legs: this.#legs.map((leg) => ({ role: leg.role, peerId: leg.peerId, kind: 'audio', ip: this.#options.ip, port: leg.port })),
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
      const firstArrivalMs = epoch.arrivalBaseMs + ((packet.ts - epoch.firstTs) * 1000) / AUDIO_CLOCK_RATE;
      const file = new OggOpusFile(path.join(this.#spool, `${leg.role}.opus`), 'mono', {
        ...this.#tags(leg.role),
        // Where the file starts in time: a composer restarted mid-call continues the file from it.
        STARTED_AT: new Date(firstArrivalMs).toISOString(),
      });
      leg.file = file;
      leg.timeline = new LegTimeline((payload, samples) => file.write(payload, samples));
      leg.firstArrivalMs = firstArrivalMs;
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
    for (const leg of this.#legs) leg.receiver?.close();
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
      logger.info({ recordingId: this.id, leg: leg.role, ...leg.receiver?.stats, filled: leg.timeline?.filled }, 'leg recorded');
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
    // From here a restarted composer answers a repeated stop with these files instead of recording again.
    await writeManifest(
      this.#options.dir,
      this.#manifest({ atMs: this.#options.now(), result: { recordingId: this.id, files, failures } }),
    );
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
