/**
 * Audio helpers for the composer's tests, on Debian's ffmpeg: known Opus packets to send
 * (encoded once by libopus, 20 ms frames), and decoding/probing of what was written.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readOggPackets } from '../ogg.ts';

const run = promisify(execFile);

/**
 * Opus packets (20 ms each) of a mono signal that is a `hz` tone during each [from, to)
 * second interval of `tones` and silence elsewhere, `seconds` long.
 */
export async function opusPackets(seconds: number, hz: number, tones: [number, number][]): Promise<Buffer[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opus-src-'));
  try {
    const gate = tones.map(([from, to]) => `between(t,${from},${to - 0.0001})`).join('+') || '0';
    const file = path.join(dir, 'src.opus');
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `aevalsrc='if(${gate},0.5*sin(2*PI*${hz}*t),0)':s=48000:d=${seconds}`,
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      '-frame_duration',
      '20',
      '-application',
      'voip',
      '-ac',
      '1',
      '-f',
      'ogg',
      file,
    ]);
    // Packets 0 and 1 are OpusHead and OpusTags.
    return readOggPackets(await readFile(file)).packets.slice(2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Probe {
  codec: string;
  channels: number;
  durationS: number;
  /** Vorbis comments (OpusTags), keys lower-cased as ffprobe reports them. */
  tags: Record<string, string>;
}

export async function probe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  const info = JSON.parse(stdout) as {
    streams: { codec_name: string; channels: number; tags?: Record<string, string> }[];
    format: { duration: string };
  };
  const stream = info.streams[0];
  if (!stream) throw new Error(`No stream in ${file}`);
  const tags = Object.fromEntries(Object.entries(stream.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { codec: stream.codec_name, channels: stream.channels, durationS: Number(info.format.duration), tags };
}

/** Decodes with ffmpeg to 48 kHz 16-bit PCM, one array per channel. */
export async function decode(file: string, channels: number): Promise<Int16Array[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-ac', String(channels), '-ar', '48000', '-'], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  const all = new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length / 2);
  return Array.from({ length: channels }, (_, c) => all.filter((_, i) => i % channels === c));
}

/** RMS of each 10 ms window. */
export function energy(samples: Int16Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 480 <= samples.length; at += 480) {
    let sum = 0;
    for (let i = at; i < at + 480; i++) sum += (samples[i] ?? 0) ** 2;
    out.push(Math.sqrt(sum / 480));
  }
  return out;
}

/** Start times (ms) of the bursts of sound: windows above `threshold` after at least 100 ms below it. */
export function onsetsMs(samples: Int16Array, threshold = 1000): number[] {
  const windows = energy(samples);
  const onsets: number[] = [];
  let quiet = 10;
  windows.forEach((rms, i) => {
    if (rms > threshold) {
      if (quiet >= 10) onsets.push(i * 10);
      quiet = 0;
    } else quiet++;
  });
  return onsets;
}
