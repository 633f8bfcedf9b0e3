/**
 * A video call's leg file (SPEC §13, `audio_and_video`): WebM with the participant's VP8 video
 * and Opus audio, both written as received. Composed after the call, when every Sender Report
 * is in: the audio and the video of a leg are two SSRCs of the SFU, placed on its clock
 * (epoch-clock.ts), so lip sync holds even when one started later. Audio is continuous (lost
 * time was filled with silence packets by LegTimeline); video frames sit at their own times,
 * so a lost frame or a paused camera leaves the last picture up and the file still lasts as
 * long as the leg did.
 */
import { epochBases, wallMs } from './epoch-clock.ts';
import { AUDIO_CLOCK_RATE, type Epoch } from './LegReceiver.ts';
import { opusHead } from './opus.ts';
import type { VideoLeg } from './VideoLeg.ts';
import { WebmWriter, type WebmTrack } from './WebmWriter.ts';

export interface LegAudio {
  /** Where the leg's first audio packet was, and then every packet in file order (gaps filled). */
  first: { epoch: Epoch; ts: number } | undefined;
  packets: { payload: Uint8Array; samples: number }[];
  epochs: Epoch[];
}

export interface LegWebmResult {
  bytes: number;
  durationMs: number;
  /** The file's start on the SFU clock (to line legs up in the composite). */
  startMs: number;
  /** Start offset of the file relative to the first audio packet (ms; ≤ 0: video came first). */
  audioOffsetMs: number;
  width: number;
  height: number;
  videoFrames: number;
}

const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;
/** How long the last frame shows when nothing follows it. */
const LAST_FRAME_MS = 33;

export async function writeLegWebm(
  path: string,
  audio: LegAudio,
  video: VideoLeg,
  meta: { title: string; tags: Record<string, string>; startedAt: (audioOffsetMs: number) => Date },
): Promise<LegWebmResult> {
  const clock = epochBases([...audio.epochs, ...video.epochs]);
  const frameTimes = video.frames.map((f) => wallMs(clock, f.epoch, f.ts));
  const audioStart = audio.first ? wallMs(clock, audio.first.epoch, audio.first.ts) : undefined;
  const audioSamples = audio.packets.reduce((sum, p) => sum + p.samples, 0);
  const starts = [...(audioStart === undefined ? [] : [audioStart]), ...frameTimes.slice(0, 1)];
  if (starts.length === 0) throw new RangeError('A leg without audio or video');
  const startMs = Math.min(...starts);
  const lastFrame = frameTimes.at(-1);
  const endMs = Math.max(
    audioStart === undefined ? -Infinity : audioStart + (audioSamples * 1000) / AUDIO_CLOCK_RATE,
    lastFrame === undefined ? -Infinity : lastFrame + LAST_FRAME_MS,
  );
  const durationMs = Math.round(endMs - startMs);
  const audioOffsetMs = audioStart === undefined ? 0 : startMs - audioStart;

  const tracks: WebmTrack[] = [];
  if (video.frames.length > 0) {
    tracks.push({ number: VIDEO_TRACK, type: 'video', codecId: 'V_VP8', name: 'video', width: video.width, height: video.height });
  }
  if (audio.packets.length > 0) {
    tracks.push({ number: AUDIO_TRACK, type: 'audio', codecId: 'A_OPUS', name: 'audio', channels: 1, codecPrivate: opusHead('mono') });
  }
  const writer = await WebmWriter.create(path, {
    tracks,
    durationMs,
    startedAt: meta.startedAt(audioOffsetMs),
    title: meta.title,
    tags: { ...meta.tags, CLOCK: clock.clock },
  });
  try {
    // Two sorted streams merged by time: audio packets and video frames.
    const frames = video.read();
    let next = await frames.next();
    let frameIndex = 0;
    let position = 0;
    const audioBase = (audioStart ?? startMs) - startMs;
    for (const packet of audio.packets) {
      const at = audioBase + (position * 1000) / AUDIO_CLOCK_RATE;
      while (!next.done && (frameTimes[frameIndex] ?? 0) - startMs <= at) {
        await writer.block(VIDEO_TRACK, (frameTimes[frameIndex] ?? 0) - startMs, next.value.frame.keyframe, next.value.data);
        frameIndex++;
        next = await frames.next();
      }
      await writer.block(AUDIO_TRACK, at, true, packet.payload);
      position += packet.samples;
    }
    while (!next.done) {
      await writer.block(VIDEO_TRACK, (frameTimes[frameIndex] ?? 0) - startMs, next.value.frame.keyframe, next.value.data);
      frameIndex++;
      next = await frames.next();
    }
    const { bytes } = await writer.close();
    return {
      bytes,
      durationMs,
      startMs,
      audioOffsetMs,
      width: video.width,
      height: video.height,
      videoFrames: video.frames.length,
    };
  } catch (error) {
    await writer.close().catch(() => undefined);
    throw error;
  }
}
