/**
 * One recording (an agent segment of a call): a UDP leg receiver per participant, a leg
 * file written while the call goes on (spooled), and on stop the merged stereo file. The
 * finished files stay in the spool until the upload queue has stored them under their SPEC
 * names.
 *
 * A participant recorded with video (SPEC §13 `audio_and_video`) has a second receiver for
 * VP8; its leg file is WebM, muxed on stop (leg-webm.ts), and a merged recording then also
 * gets the side-by-side composite, encoded by ffmpeg after the stop has answered (it takes
 * a while): `SpooledResult.composite` settles when it is in the spool.
 *
 * A composer killed mid-call takes its recordings up again when it restarts (`resume`): the
 * manifest written at start gives the request and the ports, each leg file is cut back to
 * its last whole page and goes on, and the time the composer was away becomes silence, so
 * the files still last as long as the call did. (Audio recordings only: a video leg's audio
 * and frames are muxed at stop, so a video recording cut by a crash is not taken up.)
 */
import { link, mkdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
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
import { writeComposite, type CompositeSide } from './composite.ts';
import { writeLegWebm, type LegAudio, type LegWebmResult } from './leg-webm.ts';
import { VideoLeg } from './VideoLeg.ts';

export interface RecordingOptions {
  request: ComposerStart;
  /** IP the leg sockets bind (and the SFU sends to). */
  ip: string;
  /** Recordings folder; the spool is `<dir>/.spool/<recordingId>` (the same file system as local storage). */
  dir: string;
  jitterMs: number;
  now: () => number;
  logger: Logger;
  /** Longest an ffmpeg composite may run (default 30 min). */
  compositeTimeoutMs?: number;
}

/** How long a resumed recording tries to get its ports back (a UDP port is free once its process is gone). */
const REBIND_MS = 2_000;

interface Leg {
  role: RecordingLegRole;
  peerId: string;
  /** The audio port the SFU sends to. */
  port: number;
  /** None when a resumed leg could not get its port back: the leg keeps what it had. */
  receiver: LegReceiver | undefined;
  /** The participant's video, when recorded: the leg file is then WebM and `audio` holds its audio. */
  video: VideoLeg | undefined;
  audio: LegAudio | undefined;
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
  /** The side-by-side composite (merged video recordings): the file, or why there is none. */
  composite?: Promise<SpooledFile | ComposerResult['failures'][number]>;
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
    const kinds = options.request.legs.map((leg) => `${leg.role}/${leg.kind}`);
    if (new Set(kinds).size !== kinds.length) throw new RangeError('One leg per role and kind');
    const spool = path.join(options.dir, '.spool', options.request.recordingId);
    await mkdir(spool, { recursive: true });
    const recording = new Recording(options, spool, options.now());
    try {
      for (const { role, peerId } of options.request.legs.filter((leg) => leg.kind === 'audio')) {
        const withVideo = options.request.legs.some((leg) => leg.role === role && leg.kind === 'video');
        const receiver = await recording.#open(role);
        const video = withVideo
          ? await VideoLeg.open({ ip: options.ip, holdMs: options.jitterMs, now: options.now, framesPath: path.join(spool, `${role}.vp8`) })
          : undefined;
        recording.#legs.push(Recording.#leg(role, peerId, receiver.port, receiver, video));
      }
      await writeManifest(options.dir, recording.#manifest());
    } catch (error) {
      for (const leg of recording.#legs) {
        leg.receiver?.close();
        await leg.video?.close();
      }
      throw error;
    }
    const ports = recording.session().legs.map((l) => `${l.role}/${l.kind}:${l.port}`);
    options.logger.info({ recordingId: recording.id, ports }, 'recording started');
    return recording;
  }

  /**
   * Takes up a recording an earlier run of this composer left in progress (it was killed):
   * the same ports, and each leg file continued where its last whole page ends. A merged
   * recording gets the packets already written back as its history (placed by the
   * composer's clock), so the merged file covers the whole call.
   */
  static async resume(options: Omit<RecordingOptions, 'request'>, manifest: RecordingManifest): Promise<Recording> {
    if (manifest.request.legs.some((leg) => leg.kind === 'video')) {
      throw new Error('A video recording cut by a crash cannot be taken up: its legs are muxed at stop');
    }
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

  static #leg(role: RecordingLegRole, peerId: string, port: number, receiver: LegReceiver | undefined, video?: VideoLeg): Leg {
    return {
      role,
      peerId,
      port,
      receiver,
      video,
      audio: video ? { first: undefined, packets: [], epochs: [] } : undefined,
      file: undefined,
      timeline: undefined,
      history: { packets: [] },
      firstArrivalMs: undefined,
    };
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
    const epoch: Epoch = { ssrc: -1, firstTs: 0, clockRate: AUDIO_CLOCK_RATE, arrivalBaseMs: firstArrivalMs, senderReports: [] };
    for (const [seq, { payload, position }] of packets.entries()) {
      const arrivalMs = firstArrivalMs + (position * 1000) / AUDIO_CLOCK_RATE;
      leg.history.packets.push({ packet: { ssrc: -1, seq, ts: position, marker: false, payload, arrivalMs }, epoch });
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
      legs: this.#legs.flatMap((leg) => [
        { role: leg.role, peerId: leg.peerId, kind: 'audio' as const, ip: this.#options.ip, port: leg.port },
        ...(leg.video
          ? [{ role: leg.role, peerId: leg.peerId, kind: 'video' as const, ip: this.#options.ip, port: leg.video.receiver.port }]
          : []),
      ]),
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
    const audio = leg.audio;
    if (audio) {
      // A video leg's audio waits for the WebM, muxed on stop (it is small: ~4 kB/s).
      leg.timeline ??= new LegTimeline((payload, samples) => audio.packets.push({ payload, samples }));
      audio.first ??= { epoch, ts: packet.ts };
      if (!audio.epochs.includes(epoch)) audio.epochs.push(epoch);
    } else if (!leg.file) {
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
    leg.firstArrivalMs ??= epoch.arrivalBaseMs + ((packet.ts - epoch.firstTs) * 1000) / AUDIO_CLOCK_RATE;
    leg.timeline?.add(packet, epoch);
    if (this.#options.request.composition === 'merged') leg.history.packets.push({ packet, epoch });
  }

  #tags(leg: RecordedFile['leg']): Record<string, string> {
    const r = this.#options.request;
    return {
      TITLE: `${r.agentName} / ${r.endUser}`,
      CONVERSATION_ID: r.conversationId,
      CALL_ID: r.callId,
      AGENT: r.agentName,
      END_USER: r.endUser,
      LEG: leg,
      CHANNEL_LAYOUT: leg === 'merged' || leg === 'composite' ? 'left=agent right=customer' : `mono=${LEG_TAGS[leg]}`,
      TRANSCODED: leg === 'composite' ? 'yes' : 'no',
    };
  }

  async #finish(): Promise<SpooledResult> {
    const { request, logger } = this.#options;
    for (const leg of this.#legs) {
      leg.receiver?.close();
      await leg.video?.close();
    }
    const starts = this.#legs.flatMap((leg) => (leg.firstArrivalMs === undefined ? [] : [leg.firstArrivalMs]));
    const startedAt = new Date(starts.length > 0 ? Math.min(...starts) : this.#options.now());
    const base = recordingBaseName({ ...request, startedAt });
    const files: SpooledFile[] = [];
    const failures: ComposerResult['failures'] = [];

    const webms = new Map<RecordingLegRole, { path: string; result: LegWebmResult; file: SpooledFile }>();
    for (const leg of this.#legs) {
      if (leg.video && leg.audio) {
        const written = await this.#writeWebm(leg, leg.video, leg.audio, `${base}_${leg.role}.webm`);
        if ('code' in written) failures.push(written);
        else {
          files.push(written.file);
          webms.set(leg.role, written);
        }
        continue;
      }
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
    let composite: SpooledResult['composite'];
    if (request.composition === 'merged' && this.#legs.some((leg) => leg.video)) {
      // The leg files leave the spool as soon as they are stored (local storage: at once), so the
      // composite reads its own hard links of them (same file system, no copy) and removes them.
      const inputs = new Map<RecordingLegRole, { path: string; result: LegWebmResult; file: SpooledFile }>();
      for (const [role, leg] of webms) {
        const input = path.join(this.#spool, `${role}.composite-input.webm`);
        await link(leg.path, input);
        inputs.set(role, { ...leg, path: input });
      }
      composite = this.#composite(`${base}.webm`, inputs).finally(() =>
        Promise.all([...inputs.values()].map((input) => unlink(input.path).catch(() => undefined))),
      );
    }
    // A recording without any file leaves no spool folder behind (one with files keeps it for the uploads).
    if (files.length === 0 && !composite) await rmdir(this.#spool).catch(() => undefined);
    // From here a restarted composer answers a repeated stop with these files instead of recording again.
    await writeManifest(
      this.#options.dir,
      this.#manifest({ atMs: this.#options.now(), result: { recordingId: this.id, files, failures } }),
    );
    logger.info({ recordingId: this.id, files: files.map((f) => f.fileName), failures }, 'recording finished');
    return { recordingId: this.id, files, failures, ...(composite ? { composite } : {}) };
  }

  async #writeWebm(
    leg: Leg,
    video: VideoLeg,
    audio: LegAudio,
    fileName: string,
  ): Promise<{ path: string; result: LegWebmResult; file: SpooledFile } | ComposerResult['failures'][number]> {
    const { logger } = this.#options;
    if (leg.firstArrivalMs === undefined && video.frames.length === 0) {
      return { leg: leg.role, code: 'no_media', message: 'This leg carried neither audio nor video' };
    }
    const filePath = path.join(this.#spool, `${leg.role}.webm`);
    const arrival = leg.firstArrivalMs;
    const result = await writeLegWebm(filePath, audio, video, {
      title: `${this.#options.request.agentName} / ${this.#options.request.endUser}`,
      tags: this.#tags(leg.role),
      // The composer's clock at the file's start: the first audio's arrival, moved by the video's lead.
      startedAt: (audioOffsetMs) => new Date((arrival ?? video.receiver.epochs[0]?.arrivalBaseMs ?? this.#options.now()) + audioOffsetMs),
    });
    await unlink(path.join(this.#spool, `${leg.role}.vp8`)).catch(() => undefined);
    const startedAt = new Date((arrival ?? video.receiver.epochs[0]?.arrivalBaseMs ?? this.#options.now()) + result.audioOffsetMs);
    logger.info(
      {
        recordingId: this.id,
        leg: leg.role,
        ...leg.receiver?.stats,
        video: { ...video.stats, ...video.receiver.stats },
        filled: leg.timeline?.filled,
      },
      'leg recorded',
    );
    const file: SpooledFile = {
      fileName,
      spoolPath: filePath,
      leg: leg.role,
      channelLayout: 'mono',
      container: 'webm',
      codecs: result.videoFrames > 0 ? ['vp8', 'opus'] : ['opus'],
      transcoded: false,
      startedAt: startedAt.toISOString(),
      endedAt: new Date(startedAt.getTime() + result.durationMs).toISOString(),
      durationMs: result.durationMs,
      bytes: result.bytes,
    };
    return { path: filePath, result, file };
  }

  /** The side-by-side composite, made after the stop answered; never rejects. */
  async #composite(
    fileName: string,
    webms: Map<RecordingLegRole, { path: string; result: LegWebmResult; file: SpooledFile }>,
  ): Promise<SpooledFile | ComposerResult['failures'][number]> {
    const side = (role: RecordingLegRole): CompositeSide => {
      const leg = webms.get(role);
      if (!leg) return { path: null, startMs: Infinity, durationMs: 0, width: 0, height: 0, hasVideo: false, hasAudio: false };
      const r = leg.result;
      return {
        path: leg.path,
        startMs: r.startMs,
        durationMs: r.durationMs,
        width: r.width,
        height: r.height,
        hasVideo: r.videoFrames > 0,
        hasAudio: leg.file.codecs.includes('opus'),
      };
    };
    const sides: [CompositeSide, CompositeSide] = [side('agent'), side('customer')];
    const first = [...webms.values()].sort((a, b) => a.result.startMs - b.result.startMs)[0];
    if (!first) return { leg: 'composite', code: 'no_media', message: 'Neither leg carried media' };
    const out = path.join(this.#spool, 'composite.webm');
    try {
      const made = await writeComposite(out, sides, this.#tags('composite'), {
        timeoutMs: this.#options.compositeTimeoutMs ?? 30 * 60_000,
      });
      const { size } = await stat(out);
      const startedAt = new Date(Date.parse(first.file.startedAt));
      this.#options.logger.info({ recordingId: this.id, ...made }, 'composite recorded');
      return {
        fileName,
        spoolPath: out,
        leg: 'composite',
        channelLayout: 'side_by_side_agent_left_customer_right',
        container: 'webm',
        codecs: ['vp8', 'opus'],
        transcoded: true,
        startedAt: startedAt.toISOString(),
        endedAt: new Date(startedAt.getTime() + made.durationMs).toISOString(),
        durationMs: made.durationMs,
        bytes: size,
      };
    } catch (error) {
      this.#options.logger.error({ err: error, recordingId: this.id }, 'the composite could not be made');
      await unlink(out).catch(() => undefined);
      return { leg: 'composite', code: 'composite_failed', message: 'The side-by-side video could not be made' };
    }
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
      container: 'ogg',
      codecs: ['opus'],
      transcoded: false,
      startedAt: startedAt.toISOString(),
      endedAt: new Date(startedAt.getTime() + durationMs).toISOString(),
      durationMs,
      bytes,
    };
  }
}
