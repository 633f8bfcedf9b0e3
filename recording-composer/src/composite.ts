/**
 * The side-by-side composite of a merged video recording (SPEC §13): one WebM per agent
 * segment, the agent's picture on the left and the customer's on the right, stereo audio with
 * the agent left and the customer right. Unlike the leg files this needs decoding and
 * re-encoding (two pictures become one), so it runs Debian's ffmpeg as a child process over
 * the two finished leg files, after the call:
 * - each side is scaled (aspect kept) and padded to a common height, black before its leg
 *   started and after it ended, so both legs keep their places on the SFU clock;
 * - each leg's mono audio is delayed the same way and the two become the stereo pair.
 * The encoder settings favour speed (libvpx realtime): the composite is a review copy; the
 * leg files keep the original quality.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ComposerResult, RecordingLegRole } from '@cc/contracts';
import type { Logger } from './logger.ts';
import { Turns } from './Turns.ts';
import type { SpooledFile } from './uploads/UploadQueue.ts';

const run = promisify(execFile);

export interface CompositeSide {
  /** A leg's WebM file; null when that participant sent no media. */
  path: string | null;
  /** Where the leg file starts on the shared clock (ms). */
  startMs: number;
  durationMs: number;
  width: number;
  height: number;
  hasVideo: boolean;
  hasAudio: boolean;
}

export const COMPOSITE_FPS = 15;
/** Height of the composite when neither side has a picture size (a 4:3 default). */
const DEFAULT_SIZE = { width: 640, height: 480 };

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

export interface CompositeResult {
  width: number;
  height: number;
  durationMs: number;
  startMs: number;
}

/**
 * Composites encoded at once: the rest wait their turn. Encoding is the composer's only heavy
 * work; at most half the cores go to it, so the legs of calls in progress (real-time UDP)
 * always have a core. A composite's timeout counts from its start, not from its wait.
 */
const COMPOSITE_CONCURRENCY = Math.max(1, Math.floor(availableParallelism() / 2));

const encoders = new Turns(COMPOSITE_CONCURRENCY);

export async function writeComposite(
  out: string,
  sides: [agent: CompositeSide, customer: CompositeSide],
  tags: Record<string, string>,
  options: { timeoutMs: number },
): Promise<CompositeResult> {
  const startMs = Math.min(...sides.map((s) => s.startMs));
  const endMs = Math.max(...sides.map((s) => s.startMs + s.durationMs));
  const total = (endMs - startMs) / 1000;
  const pictured = sides.filter((s) => s.hasVideo && s.height > 0);
  const height = even(pictured.length > 0 ? Math.max(...pictured.map((s) => s.height)) : DEFAULT_SIZE.height);
  const widths = sides.map((s) =>
    even(s.hasVideo && s.height > 0 ? (s.width * height) / s.height : (DEFAULT_SIZE.width * height) / DEFAULT_SIZE.height),
  );
  const args = ['-v', 'error', '-nostdin', '-y'];
  const filters: string[] = [];
  let input = 0;
  sides.forEach((side, i) => {
    const delay = (side.startMs - startMs) / 1000;
    const w = widths[i] ?? DEFAULT_SIZE.width;
    let index: number | undefined;
    if (side.path) {
      args.push('-i', side.path);
      index = input++;
    }
    if (index !== undefined && side.hasVideo) {
      filters.push(
        `[${index}:v]fps=${COMPOSITE_FPS},scale=${w}:${height}:force_original_aspect_ratio=decrease,` +
          `pad=${w}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,` +
          `tpad=start_duration=${delay.toFixed(3)}:color=black:stop_mode=add:stop_duration=${total.toFixed(3)}[v${i}]`,
      );
    } else {
      filters.push(`color=c=black:s=${w}x${height}:r=${COMPOSITE_FPS}:d=${total.toFixed(3)}[v${i}]`);
    }
    if (index !== undefined && side.hasAudio) {
      filters.push(`[${index}:a]aresample=48000,aformat=channel_layouts=mono,adelay=delays=${Math.round(delay * 1000)}:all=1,apad[a${i}]`);
    } else {
      filters.push(`anullsrc=r=48000:cl=mono[a${i}]`);
    }
  });
  filters.push('[v0][v1]hstack=inputs=2[v]', '[a0][a1]join=inputs=2:channel_layout=stereo:map=0.0-FL|1.0-FR[a]');
  args.push('-filter_complex', filters.join(';'), '-map', '[v]', '-map', '[a]', '-t', total.toFixed(3));
  args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1200k', '-g', String(COMPOSITE_FPS * 2));
  args.push('-c:a', 'libopus', '-b:a', '64k', '-threads', '1');
  for (const [key, value] of Object.entries(tags)) args.push('-metadata', `${key}=${value}`);
  args.push('-f', 'webm', out);
  await encoders.run(() => run('ffmpeg', args, { timeout: options.timeoutMs, maxBuffer: 1024 * 1024 }));
  return { width: (widths[0] ?? 0) + (widths[1] ?? 0), height, durationMs: Math.round(total * 1000), startMs };
}

/**
 * What a composite is made from, kept in the stopped recording's manifest until the composite
 * is filed: a composer killed while ffmpeg ran makes it again from the same inputs (hard links
 * of the leg files in the spool, which stay there until then).
 */
export interface CompositeJob {
  fileName: string;
  /** The earliest leg file's start (ISO UTC): the composite's. */
  startedAt: string;
  legs: (Omit<CompositeSide, 'path'> & { role: RecordingLegRole; path: string })[];
}

/** The composite in `<spool>/composite.webm`, or why there is none; never rejects. */
export async function makeComposite(
  spool: string,
  job: CompositeJob,
  tags: Record<string, string>,
  options: { timeoutMs: number; logger: Logger },
): Promise<SpooledFile | ComposerResult['failures'][number]> {
  const side = (role: RecordingLegRole): CompositeSide =>
    job.legs.find((leg) => leg.role === role) ?? {
      path: null,
      startMs: Infinity,
      durationMs: 0,
      width: 0,
      height: 0,
      hasVideo: false,
      hasAudio: false,
    };
  if (job.legs.length === 0) return { leg: 'composite', code: 'no_media', message: 'Neither leg carried media' };
  const out = path.join(spool, 'composite.webm');
  // A composer killed while ffmpeg ran leaves that ffmpeg running (its orphan) on the old file:
  // unlinked, it writes to an inode nobody reads, and this run writes a fresh file.
  await unlink(out).catch(() => undefined);
  try {
    const made = await writeComposite(out, [side('agent'), side('customer')], tags, { timeoutMs: options.timeoutMs });
    const { size } = await stat(out);
    const startedAt = new Date(Date.parse(job.startedAt));
    options.logger.info(made, 'composite recorded');
    return {
      fileName: job.fileName,
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
    options.logger.error({ err: error }, 'the composite could not be made');
    await unlink(out).catch(() => undefined);
    return { leg: 'composite', code: 'composite_failed', message: 'The side-by-side video could not be made' };
  }
}
