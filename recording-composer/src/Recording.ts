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
 * the files still last as long as the call did. A video leg spools its frames (VideoLeg) and
 * its audio (LegAudioSpool) as they come, so it is taken up the same way: both go on after the
 * outage, which becomes silence and the last picture held.
 */
import { link, mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { ComposerResult, ComposerSession, ComposerStart, RecordedFile, RecordingLegRole } from '@cc/contracts';
import type { SpooledFile } from './uploads/UploadQueue.ts';
import { recordingBaseName, recordingTags } from './file-names.ts';
import { AUDIO_CLOCK_RATE, LegReceiver, type Epoch, type LegPacket } from './LegReceiver.ts';
import { LegTimeline } from './LegTimeline.ts';
import type { Logger } from './logger.ts';
import { MergeError, multistreamPacket, placeInSlots, type LegHistory } from './merge.ts';
import { OggOpusFile, type ResumedOggOpus } from './OggOpusFile.ts';
import { SAMPLES_20MS } from './opus.ts';
import { writeManifest, type RecordingManifest } from './RecordingManifest.ts';
import { makeComposite, type CompositeJob } from './composite.ts';
import { LegAudioSpool } from './LegAudioSpool.ts';
import type { LegWebmResult } from './leg-webm.ts';
import { VideoLeg } from './VideoLeg.ts';
import { bindAgain, resumeVideoLeg, spoolLegWebm } from './VideoLegSpool.ts';

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

interface Leg {
  role: RecordingLegRole;
  peerId: string;
  /** The audio port the SFU sends to. */
  port: number;
  /** None when a resumed leg could not get its port back: the leg keeps what it had. */
  receiver: LegReceiver | undefined;
  /** The participant's video, when recorded: the leg file is then WebM and `audio` holds its audio. */
  video: VideoLeg | undefined;
  /** The video port the SFU sends to (kept for the manifest: the socket is closed at stop). */
  videoPort: number | undefined;
  audio: LegAudioSpool | undefined;
  file: OggOpusFile | undefined;
  timeline: LegTimeline | undefined;
  history: LegHistory;
  firstArrivalMs: number | undefined;
}

/** What a stopped recording made: files still in the spool, and what could not be made. */
export interface SpooledResult {
  recordingId: string;
  files: SpooledFile[];
  failures: ComposerResult['failures'];
  /** The side-by-side composite (merged video recordings): the file, or why there is none. */
  composite?: Promise<SpooledFile | ComposerResult['failures'][number]>;
  /** What the composite is made from (its inputs leave the spool once it is filed). */
  compositeJob?: CompositeJob;
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
        const audio = video ? LegAudioSpool.create(path.join(spool, `${role}.audio`)) : undefined;
        recording.#legs.push(Recording.#leg(role, peerId, receiver.port, receiver, video, audio));
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
   * composer's clock), so the merged file covers the whole call. A video leg gets its spooled
   * frames and audio back and its video port too (a manifest without one: the video is lost).
   */
  static async resume(options: Omit<RecordingOptions, 'request'>, manifest: RecordingManifest): Promise<Recording> {
    const all = { ...options, request: manifest.request };
    const spool = path.join(options.dir, '.spool', manifest.request.recordingId);
    await mkdir(spool, { recursive: true });
    // A merged file half-written when the composer died is composed again at stop.
    await rm(path.join(spool, 'merged.opus'), { force: true });
    const recording = new Recording(all, spool, manifest.startedAtMs);
    const log = options.logger.child({ recordingId: recording.id });
    for (const { role, peerId } of manifest.request.legs.filter((leg) => leg.kind === 'audio')) {
      const ports = manifest.legs.find((leg) => leg.role === role);
      if (!ports) throw new Error(`The manifest has no port for the ${role} leg`);
      const leg = Recording.#leg(role, peerId, ports.port, undefined);
      recording.#legs.push(leg);
      if (ports.videoPort !== undefined) {
        await recording.#resumeVideo(leg, ports.videoPort);
        continue;
      }
      const resumed = await OggOpusFile.resume(path.join(spool, `${role}.opus`)).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      });
      if (resumed) recording.#continue(leg, resumed, manifest.startedAtMs);
      log.info(
        { leg: role, port: ports.port, resumedMs: leg.file ? Math.round(leg.file.samples / 48) : 0, cutBytes: resumed?.cutBytes ?? 0 },
        'leg resumed',
      );
    }
    for (const leg of recording.#legs) {
      try {
        leg.receiver = await bindAgain(() => recording.#open(leg.role, leg.port), options.now);
      } catch (error) {
        // The recording keeps what was written before the crash; stop still files it.
        log.error({ err: error, leg: leg.role, port: leg.port }, 'the leg port cannot be bound again; the rest of the leg is lost');
      }
    }
    return recording;
  }

  /**
   * Takes up a video leg: its frames and audio from the spool, its video port bound again. The
   * audio goes on from where the spool ends, the outage filled with silence by the composer's
   * clock (LegTimeline), as an Ogg leg does; frames keep their own times (the last picture holds).
   */
  async #resumeVideo(leg: Leg, videoPort: number): Promise<void> {
    const { ip, jitterMs, now, logger } = this.#options;
    const log = logger.child({ recordingId: this.id, leg: leg.role });
    const resumed = await resumeVideoLeg({ spool: this.#spool, role: leg.role, videoPort, ip, jitterMs, now, log });
    leg.videoPort = videoPort;
    leg.audio = resumed.audio;
    leg.timeline = resumed.timeline;
    leg.firstArrivalMs = resumed.firstArrivalMs;
    leg.video = resumed.video;
    if (resumed.firstArrivalMs === undefined) return;
    let position = 0;
    const packets = resumed.audio.packets.map(({ payload, samples }) => {
      const packet = { payload, position };
      position += samples;
      return packet;
    });
    this.#restoreHistory(leg, packets, resumed.firstArrivalMs);
  }

  static #leg(
    role: RecordingLegRole,
    peerId: string,
    port: number,
    receiver: LegReceiver | undefined,
    video?: VideoLeg,
    audio?: LegAudioSpool,
  ): Leg {
    return {
      role,
      peerId,
      port,
      receiver,
      video,
      videoPort: video?.receiver.port,
      audio,
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
    this.#restoreHistory(leg, packets, firstArrivalMs);
  }

  /** A merged recording's history of a leg from before a restart, placed by the composer's clock. */
  #restoreHistory(leg: Leg, packets: { payload: Buffer | Uint8Array; position: number }[], firstArrivalMs: number): void {
    if (this.#options.request.composition !== 'merged') return;
    // One epoch stands for everything before the restart: positions are its RTP timestamps.
    const epoch: Epoch = { ssrc: -1, firstTs: 0, clockRate: AUDIO_CLOCK_RATE, arrivalBaseMs: firstArrivalMs, senderReports: [] };
    for (const [seq, { payload, position }] of packets.entries()) {
      const arrivalMs = firstArrivalMs + (position * 1000) / AUDIO_CLOCK_RATE;
      leg.history.packets.push({
        packet: {
          ssrc: -1,
          seq,
          ts: position,
          marker: false,
          payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
          arrivalMs,
        },
        epoch,
      });
    }
  }

  #manifest(stopped?: RecordingManifest['stopped']): RecordingManifest {
    return {
      version: 1,
      request: this.#options.request,
      ip: this.#options.ip,
      legs: this.#legs.map(({ role, port, videoPort }) => ({ role, port, ...(videoPort === undefined ? {} : { videoPort }) })),
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
          ? [
              {
                role: leg.role,
                peerId: leg.peerId,
                kind: 'video' as const,
                ip: this.#options.ip,
                port: leg.videoPort ?? leg.video.receiver.port,
              },
            ]
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
      leg.timeline ??= new LegTimeline((payload, samples) => audio.write(payload, samples));
      audio.start(epoch, packet.ts);
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
    return recordingTags(this.#options.request, leg);
  }

  async #finish(): Promise<SpooledResult> {
    const { request, logger } = this.#options;
    for (const leg of this.#legs) {
      leg.receiver?.close();
      await leg.video?.close();
      leg.audio?.close();
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
    let compositeJob: CompositeJob | undefined;
    if (request.composition === 'merged' && this.#legs.some((leg) => leg.video)) {
      // The leg files leave the spool as soon as they are stored (local storage: at once), so the
      // composite reads its own hard links of them (same file system, no copy); they go once the
      // composite is filed (RecordingRegistry), so a composer killed meanwhile can make it again.
      const first = [...webms.values()].sort((a, b) => a.result.startMs - b.result.startMs)[0];
      compositeJob = { fileName: `${base}.webm`, startedAt: first?.file.startedAt ?? startedAt.toISOString(), legs: [] };
      for (const [role, { path: legPath, result, file }] of webms) {
        const input = path.join(this.#spool, `${role}.composite-input.webm`);
        await link(legPath, input);
        const { startMs, durationMs, width, height } = result;
        compositeJob.legs.push({
          role,
          path: input,
          startMs,
          durationMs,
          width,
          height,
          hasVideo: result.videoFrames > 0,
          hasAudio: file.codecs.includes('opus'),
        });
      }
    }
    // A recording without any file leaves no spool folder behind (one with files keeps it for the uploads).
    if (files.length === 0 && !compositeJob) await rmdir(this.#spool).catch(() => undefined);
    // From here a restarted composer answers a repeated stop with these files instead of recording again.
    await writeManifest(
      this.#options.dir,
      this.#manifest({ atMs: this.#options.now(), result: { recordingId: this.id, files, failures }, composite: compositeJob }),
    );
    if (compositeJob) {
      composite = makeComposite(this.#spool, compositeJob, this.#tags('composite'), {
        timeoutMs: this.#options.compositeTimeoutMs ?? 30 * 60_000,
        logger: logger.child({ recordingId: this.id }),
      });
    }
    logger.info({ recordingId: this.id, files: files.map((f) => f.fileName), failures }, 'recording finished');
    return { recordingId: this.id, files, failures, ...(composite ? { composite, compositeJob } : {}) };
  }

  async #writeWebm(
    leg: Leg,
    video: VideoLeg,
    audio: LegAudioSpool,
    fileName: string,
  ): Promise<{ path: string; result: LegWebmResult; file: SpooledFile } | ComposerResult['failures'][number]> {
    const { request, now, logger } = this.#options;
    const written = await spoolLegWebm({
      spool: this.#spool,
      role: leg.role,
      fileName,
      audio,
      video,
      firstArrivalMs: leg.firstArrivalMs,
      title: `${request.agentName} / ${request.endUser}`,
      tags: this.#tags(leg.role),
      now,
    });
    const stats = { ...leg.receiver?.stats, video: { ...video.stats, ...video.receiver.stats }, filled: leg.timeline?.filled };
    if (!('code' in written)) logger.info({ recordingId: this.id, leg: leg.role, ...stats }, 'leg recorded');
    return written;
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
