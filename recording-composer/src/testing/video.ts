/**
 * Video helpers for the composer's tests, on Debian's ffmpeg: real VP8 frames of a test
 * pattern (libvpx), their RTP packets (RFC 7741), and the frames a written file holds, read
 * back without decoding (`-c copy` to IVF) to prove they were not transcoded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Frames of an IVF file (32-byte header, then per frame a 12-byte header and the data). */
export function readIvf(file: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = file.readUInt16LE(6);
  while (at + 12 <= file.length) {
    const size = file.readUInt32LE(at);
    frames.push(file.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return frames;
}

/** VP8 frames of a moving test pattern: a key frame every `gop` frames. */
export async function vp8Frames(p: { seconds: number; fps: number; width: number; height: number; gop: number }): Promise<Buffer[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vp8-src-'));
  try {
    const file = path.join(dir, 'src.ivf');
    // Realtime, no look-ahead: what a browser sends (no hidden alt-ref frames).
    await run('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${p.width}x${p.height}:rate=${p.fps}:duration=${p.seconds}`],
      ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-auto-alt-ref', '0'],
      ...['-b:v', '400k', '-g', String(p.gop), '-keyint_min', String(p.gop), '-f', 'ivf', file],
    ]);
    return readIvf(await readFile(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A frame's RTP payloads as browsers send them: the descriptor with X and a 15-bit picture id
 * (mediasoup needs the extension to spot key frames; S on the first packet, PID 0), then at
 * most `mtu` bytes of the frame each.
 */
export function packetizeVp8(frame: Buffer, pictureId: number, mtu = 1000): Buffer[] {
  const payloads: Buffer[] = [];
  for (let at = 0; at < frame.length; at += mtu) {
    const descriptor = Buffer.from([at === 0 ? 0x90 : 0x80, 0x80, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff]);
    payloads.push(Buffer.concat([descriptor, frame.subarray(at, at + mtu)]));
  }
  return payloads;
}

/** The video frames of a written WebM, as stored (copied out, not decoded). */
export async function storedVideoFrames(file: string): Promise<Buffer[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vp8-out-'));
  try {
    const out = path.join(dir, 'out.ivf');
    await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v', '-c', 'copy', '-f', 'ivf', out]);
    return readIvf(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface MediaProbe {
  durationS: number;
  streams: { codec: string; type: string; width?: number; height?: number; channels?: number; frames?: number }[];
  tags: Record<string, string>;
}

/** ffprobe of every stream, frames counted by demuxing. */
export async function probeMedia(file: string): Promise<MediaProbe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_streams', '-show_format', '-of', 'json', file]);
  const info = JSON.parse(stdout) as {
    streams: { codec_name: string; codec_type: string; width?: number; height?: number; channels?: number; nb_read_packets?: string }[];
    format: { duration: string; tags?: Record<string, string> };
  };
  return {
    durationS: Number(info.format.duration),
    streams: info.streams.map((s) => ({
      codec: s.codec_name,
      type: s.codec_type,
      ...(s.width === undefined ? {} : { width: s.width, height: s.height }),
      ...(s.channels === undefined ? {} : { channels: s.channels }),
      ...(s.nb_read_packets === undefined ? {} : { frames: Number(s.nb_read_packets) }),
    })),
    tags: Object.fromEntries(Object.entries(info.format.tags ?? {}).map(([k, v]) => [k.toUpperCase(), v])),
  };
}
