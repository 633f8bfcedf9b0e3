/**
 * A video leg's spool, from both ends: taken up after a composer restart (`resumeVideoLeg`:
 * its spooled audio and frames back, its video port bound again) and turned into the leg's
 * WebM at stop (`spoolLegWebm`, which then removes the spool files).
 *
 * A resumed leg's audio goes on from where its spool ends: LegTimeline fills the outage with
 * silence by the composer's clock, as an Ogg leg does. Frames keep their own times, so the
 * outage has none and the last picture holds; the WebM still lasts as long as the call.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ComposerResult, RecordingLegRole } from '@cc/contracts';
import { LegAudioSpool } from './LegAudioSpool.ts';
import { AUDIO_CLOCK_RATE } from './LegReceiver.ts';
import { LegTimeline } from './LegTimeline.ts';
import { writeLegWebm, type LegWebmResult } from './leg-webm.ts';
import type { Logger } from './logger.ts';
import type { SpooledFile } from './uploads/UploadQueue.ts';
import { VideoLeg } from './VideoLeg.ts';

/** How long a resumed recording tries to get its ports back (a UDP port is free once its process is gone). */
const REBIND_MS = 2_000;

/** Binds a port again after a restart, retrying for `REBIND_MS`. */
export async function bindAgain<T>(open: () => Promise<T>, now: () => number): Promise<T> {
  const deadline = now() + REBIND_MS;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export interface ResumedVideoLeg {
  audio: LegAudioSpool;
  /** Continues the audio after the spool's end; none when the leg had sent no audio yet. */
  timeline: LegTimeline | undefined;
  /** The composer's clock at the leg's first audio. */
  firstArrivalMs: number | undefined;
  /** None when the video port could not be bound again: the leg's video is then lost. */
  video: VideoLeg | undefined;
}

export async function resumeVideoLeg(p: {
  spool: string;
  role: RecordingLegRole;
  videoPort: number;
  ip: string;
  jitterMs: number;
  now: () => number;
  log: Logger;
}): Promise<ResumedVideoLeg> {
  const { audio, cutBytes } = await LegAudioSpool.resume(path.join(p.spool, `${p.role}.audio`));
  const firstArrivalMs = audio.firstWallMs;
  const timeline =
    firstArrivalMs === undefined
      ? undefined
      : new LegTimeline((payload, samples) => audio.write(payload, samples), {
          position: audio.samples,
          wallMs: firstArrivalMs + (audio.samples * 1000) / AUDIO_CLOCK_RATE,
        });
  const framesPath = path.join(p.spool, `${p.role}.vp8`);
  try {
    const { ip, jitterMs, now, videoPort } = p;
    const video = await bindAgain(() => VideoLeg.resume({ ip, port: videoPort, holdMs: jitterMs, now, framesPath }), now);
    p.log.info(
      { videoPort, audioMs: Math.round(audio.samples / 48), frames: video.leg.frames.length, cutBytes: cutBytes + video.cutBytes },
      'video leg resumed',
    );
    return { audio, timeline, firstArrivalMs, video: video.leg };
  } catch (error) {
    p.log.error({ err: error, videoPort: p.videoPort }, 'the video port cannot be bound again; the rest of the video is lost');
    return { audio, timeline, firstArrivalMs, video: undefined };
  }
}

/** The leg's WebM from its spool (`<spool>/<role>.webm`), described under `fileName`; the spool files go. */
export async function spoolLegWebm(p: {
  spool: string;
  role: RecordingLegRole;
  fileName: string;
  audio: LegAudioSpool;
  video: VideoLeg;
  firstArrivalMs: number | undefined;
  title: string;
  tags: Record<string, string>;
  now: () => number;
}): Promise<{ path: string; result: LegWebmResult; file: SpooledFile } | ComposerResult['failures'][number]> {
  const { video, role } = p;
  if (p.firstArrivalMs === undefined && video.frames.length === 0) {
    return { leg: role, code: 'no_media', message: 'This leg carried neither audio nor video' };
  }
  const filePath = path.join(p.spool, `${role}.webm`);
  // The composer's clock at the file's start: the first audio's arrival, moved by the video's lead.
  const arrival = p.firstArrivalMs ?? video.epochs[0]?.arrivalBaseMs ?? p.now();
  const result = await writeLegWebm(filePath, p.audio, video, {
    title: p.title,
    tags: p.tags,
    startedAt: (audioOffsetMs) => new Date(arrival + audioOffsetMs),
  });
  await unlink(path.join(p.spool, `${role}.vp8`)).catch(() => undefined);
  await unlink(path.join(p.spool, `${role}.audio`)).catch(() => undefined);
  const startedAt = new Date(arrival + result.audioOffsetMs);
  const file: SpooledFile = {
    fileName: p.fileName,
    spoolPath: filePath,
    leg: role,
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
