/**
 * Audio tools behind prompts, all from Debian: espeak-ng speaks text as WAV, ffprobe says what
 * an uploaded file is, and ffmpeg converts anything to the one format the SFU plays: Ogg Opus,
 * mono, 48 kHz, 20 ms packets. The conversion is bit-exact (no random Ogg serial, no encoder
 * tag), so the same input always gives the same file and the same content hash.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOggOpus } from '@cc/sfu/ogg-opus';
import { AppError } from '../errors.ts';

/** A tool that runs longer than this is stopped (a 4 MB upload converts in well under a second). */
const TOOL_TIMEOUT_MS = 60_000;
/** Longest audio accepted as a prompt or music, in seconds. */
export const PROMPT_MAX_SECONDS = 15 * 60;

/** Containers ffprobe may report for an upload: mp3, wav, m4a/mp4/aac, ogg/opus, flac, webm, aiff. */
const ACCEPTED_FORMATS = new Set(['mp3', 'wav', 'mov,mp4,m4a,3gp,3g2,mj2', 'aac', 'ogg', 'flac', 'matroska,webm', 'aiff']);

export class ToolError extends Error {
  override name = 'ToolError';
}

/** What an upload that is not audio we can read (or that will not convert) is told. */
const UNREADABLE = 'This file is not audio we can read. Upload an mp3, wav, m4a, ogg, flac or webm file.';

/** Runs a tool with `input` on stdin and returns its stdout. */
export function run(command: string, args: string[], input: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), TOOL_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ToolError(`${command} could not start: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new ToolError(`${command} failed (${signal ?? code}): ${Buffer.concat(err).toString('utf8').slice(0, 500)}`));
    });
    // A tool that stops reading early (a bad file) closes stdin: that is its answer, not ours to throw.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/**
 * Audio ffmpeg reads from `source` (`pipe:0`: `input`), with only the `demuxers` named, → Ogg
 * Opus (mono, 48 kHz, 20 ms frames, 32 kbit/s), bit-exact.
 */
function convert(source: string, input: Buffer | string, demuxers?: string): Promise<Buffer> {
  return run(
    'ffmpeg',
    [
      ...['-nostdin', '-hide_banner', '-loglevel', 'error', ...(demuxers ? ['-format_whitelist', demuxers] : [])],
      ...['-i', source, '-vn', '-map_metadata', '-1'],
      ...['-t', String(PROMPT_MAX_SECONDS), '-ac', '1', '-ar', '48000'],
      ...['-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-application', 'audio'],
      ...['-fflags', '+bitexact', '-flags:a', '+bitexact', '-f', 'ogg', 'pipe:1'],
    ],
    input,
  );
}

/** Audio made here (WAV from espeak-ng or synthesised), read from a pipe → Ogg Opus. */
export function toOggOpus(input: Buffer): Promise<Buffer> {
  return convert('pipe:0', input);
}

/**
 * An upload → Ogg Opus: checked to be audio of an accepted kind, then converted, with the same
 * clear refusal when either fails. ffprobe and ffmpeg read it from a temporary file, not a
 * pipe: an MP4/m4a whose index (moov) comes after the audio, as phones write them, can only be
 * read by seeking back. The file is removed afterwards, whatever happens.
 */
export async function uploadToOggOpus(file: Buffer): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-prompt-upload-'));
  try {
    // A fixed name: the uploader's file name (and its extension) is not trusted.
    const path = join(dir, 'upload');
    await writeFile(path, file, { mode: 0o600 });
    const source = `file:${path}`;
    await checkAudioFile(source);
    let ogg: Buffer;
    try {
      // Only the accepted demuxers: a playlist (HLS) never gets to open other files.
      ogg = await convert(source, '', [...ACCEPTED_FORMATS].join(','));
      // ffmpeg can succeed and write no audio (a header with no samples): that is unreadable too.
      parseOggOpus(ogg);
    } catch (error) {
      throw new AppError('bad_request', UNREADABLE, { cause: error });
    }
    return ogg;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Checks the file at `source` is audio of an accepted kind, with a clear message otherwise.
 * ffprobe reads the bytes themselves; the file name's extension is not trusted.
 */
async function checkAudioFile(source: string): Promise<void> {
  let report: { format?: { format_name?: string }; streams?: { codec_type?: string }[] };
  try {
    const json = await run(
      'ffprobe',
      ['-hide_banner', '-loglevel', 'error', '-print_format', 'json', '-show_format', '-show_streams', source],
      '',
    );
    report = JSON.parse(json.toString('utf8')) as typeof report;
  } catch (error) {
    throw new AppError('bad_request', UNREADABLE, { cause: error });
  }
  const format = report.format?.format_name ?? '';
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new AppError(
      'bad_request',
      `This kind of file (${format || 'unknown'}) is not accepted. Upload an mp3, wav, m4a, ogg, flac or webm file.`,
    );
  }
  if (!report.streams?.some((stream) => stream.codec_type === 'audio')) {
    throw new AppError('bad_request', 'This file has no sound in it.');
  }
}

/** espeak-ng: text → WAV. `voice` is an espeak-ng variant name, or `default`. */
export function speak(spec: { text: string; language: string; voice: string; speechRate: number }): Promise<Buffer> {
  const voice = spec.voice === 'default' ? spec.language : `${spec.language}+${spec.voice}`;
  // The text goes on stdin, never on the command line; -b 1: it is UTF-8.
  return run('espeak-ng', ['-v', voice, '-s', String(spec.speechRate), '-b', '1', '--stdout'], spec.text);
}

export interface Voices {
  languages: { code: string; name: string }[];
  voices: string[];
  /** Every language code espeak-ng takes, with the short aliases it answers to (`en` for `en-gb`). */
  codes: Set<string>;
}

let voiceOptions: Promise<Voices> | undefined;

/** The languages and voice variants this machine's espeak-ng has (read once; MBROLA voices need extra data, so they are left out). */
export function voices(): Promise<Voices> {
  voiceOptions ??= (async () => {
    const rows = (text: Buffer) =>
      text
        .toString('utf8')
        .split('\n')
        .slice(1)
        .map((line) => ({
          cols: line.trim().split(/\s+/),
          aliases: [...line.matchAll(/\(([a-z0-9-]+) \d+\)/gi)].map((m) => m[1] as string),
        }))
        .filter(({ cols }) => cols.length >= 5 && !(cols[4] as string).startsWith('mb/'));
    const languageRows = rows(await run('espeak-ng', ['--voices'], ''));
    // One entry per code: espeak-ng lists some codes twice (yue: Cantonese, and its Jyutping
    // variant), and the console keys its language list by code.
    const seen = new Set<string>();
    const languages = languageRows.flatMap(({ cols }) => {
      const code = cols[1] as string;
      if (seen.has(code)) return [];
      seen.add(code);
      return [{ code, name: (cols[3] as string).replace(/_/g, ' ') }];
    });
    const codes = new Set(languageRows.flatMap(({ cols, aliases }) => [cols[1] as string, ...aliases]));
    const variants = rows(await run('espeak-ng', ['--voices=variant'], '')).map(({ cols }) => (cols[4] as string).replace(/^!v\//, ''));
    return { languages, voices: ['default', ...variants], codes };
  })();
  voiceOptions.catch(() => {
    voiceOptions = undefined;
  });
  return voiceOptions;
}

/**
 * The built-in hold music: a calm 16 s loop (C, A minor, F, G arpeggios of soft bell tones),
 * synthesised here so no third-party recording ships with the project.
 */
export function builtInMusicWav(): Buffer {
  const rate = 48_000;
  const seconds = 16;
  const samples = new Float32Array(rate * seconds);
  const chords = [
    [261.63, 329.63, 392.0, 523.25],
    [220.0, 261.63, 329.63, 440.0],
    [174.61, 220.0, 261.63, 349.23],
    [196.0, 246.94, 293.66, 392.0],
  ];
  const noteSeconds = 0.5;
  for (let n = 0; n < seconds / noteSeconds; n += 1) {
    const chord = chords[Math.floor(n / 8) % chords.length] as number[];
    const pattern = [0, 1, 2, 3, 2, 1, 2, 1];
    const frequency = chord[pattern[n % 8] as number] as number;
    const start = Math.round(n * noteSeconds * rate);
    const length = Math.round(1.5 * rate); // notes ring on under the next ones
    for (let i = 0; i < length; i += 1) {
      const t = i / rate;
      const envelope = Math.min(1, t / 0.01) * Math.exp(-t * 3);
      const tone = Math.sin(2 * Math.PI * frequency * t) + 0.3 * Math.sin(4 * Math.PI * frequency * t);
      const index = (start + i) % samples.length; // wraps: the loop joins without a click
      samples[index] = (samples[index] as number) + 0.18 * envelope * tone;
    }
  }
  return wav(samples, rate);
}

/** VOICEMAIL_TONE_HZ for half a second, then half a second of silence before the caller speaks. */
export const VOICEMAIL_TONE_HZ = 1000;

/** The voicemail tone ("please speak after the tone"). */
export function voicemailToneWav(): Buffer {
  const rate = 48_000;
  const samples = new Float32Array(rate);
  const length = rate / 2;
  for (let i = 0; i < length; i += 1) {
    // 5 ms ramps at each end: no click.
    const envelope = Math.min(1, i / 240, (length - i) / 240);
    samples[i] = 0.4 * envelope * Math.sin((2 * Math.PI * VOICEMAIL_TONE_HZ * i) / rate);
  }
  return wav(samples, rate);
}

/** 16-bit mono PCM WAV of `samples` (-1..1). */
function wav(samples: Float32Array, rate: number): Buffer {
  const pcm = Buffer.alloc(samples.length * 2);
  samples.forEach((value, i) => pcm.writeInt16LE(Math.round(Math.max(-1, Math.min(1, value)) * 32767), i * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
