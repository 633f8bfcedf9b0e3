/**
 * A recording's manifest in the spool (`<dir>/.spool/<recordingId>.json`, beside the folder of
 * its files): what a composer restarted after a crash (SIGKILL, OOM) needs to take the
 * recording up again — the start request, the UDP port of each leg (the SFU's tap keeps
 * sending there) and, once stopped, the result a repeated stop answers.
 *
 * Written before the start is answered, replaced atomically (temporary file, fsync, rename,
 * fsync of the folder) so a crash leaves the old manifest or the new one, never half of one.
 * It lives beside the folder, not in it, so the upload queue still removes the folder with its
 * last file.
 */
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  composerStartSchema,
  RECORDING_CHANNEL_LAYOUTS,
  RECORDING_CONTAINERS,
  RECORDING_FILE_LEGS,
  RECORDING_LEG_ROLES,
} from '@cc/contracts';
import type { Logger } from './logger.ts';

const spooledFileSchema = z.object({
  fileName: z.string(),
  spoolPath: z.string(),
  leg: z.enum(RECORDING_FILE_LEGS),
  channelLayout: z.enum(RECORDING_CHANNEL_LAYOUTS),
  container: z.enum(RECORDING_CONTAINERS),
  codecs: z.array(z.enum(['opus', 'vp8'])),
  transcoded: z.boolean(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number(),
  bytes: z.number(),
});

const manifestSchema = z.object({
  version: z.literal(1),
  request: composerStartSchema,
  ip: z.string(),
  legs: z.array(
    z.object({
      role: z.enum(RECORDING_LEG_ROLES),
      port: z.number().int().min(1).max(65535),
      /** The leg's video port (recorded with video). Absent in manifests written before video legs were taken up. */
      videoPort: z.number().int().min(1).max(65535).optional(),
    }),
  ),
  startedAtMs: z.number(),
  /** Set when the files are finished: the result every later stop answers. */
  stopped: z
    .object({
      atMs: z.number(),
      result: z.object({
        recordingId: z.string(),
        files: z.array(spooledFileSchema),
        failures: z.array(z.object({ leg: z.enum(RECORDING_FILE_LEGS), code: z.string(), message: z.string() })),
      }),
      /** The side-by-side composite still to be made and filed (composite.ts `CompositeJob`); gone once it is filed. */
      composite: z
        .object({
          fileName: z.string(),
          startedAt: z.string(),
          legs: z.array(
            z.object({
              role: z.enum(RECORDING_LEG_ROLES),
              path: z.string(),
              startMs: z.number(),
              durationMs: z.number(),
              width: z.number(),
              height: z.number(),
              hasVideo: z.boolean(),
              hasAudio: z.boolean(),
            }),
          ),
        })
        .optional(),
    })
    .optional(),
});
export type RecordingManifest = z.infer<typeof manifestSchema>;

function spoolOf(dir: string): string {
  return path.join(dir, '.spool');
}

function manifestPath(dir: string, recordingId: string): string {
  return path.join(spoolOf(dir), `${recordingId}.json`);
}

/** Replaces the recording's manifest durably (see the module comment). */
export async function writeManifest(dir: string, manifest: RecordingManifest): Promise<void> {
  const target = manifestPath(dir, manifest.request.recordingId);
  const temporary = `${target}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(JSON.stringify(manifest));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, target);
  // The rename itself must survive a power loss too.
  const folder = await open(spoolOf(dir), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

export async function removeManifest(dir: string, recordingId: string): Promise<void> {
  await rm(manifestPath(dir, recordingId), { force: true });
}

/** One recording's manifest, when it has one that reads. */
export async function readManifest(dir: string, recordingId: string): Promise<RecordingManifest | undefined> {
  try {
    return manifestSchema.parse(JSON.parse(await readFile(manifestPath(dir, recordingId), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Every readable manifest in the spool; one that does not parse is logged and left for a person to look at. */
export async function readManifests(dir: string, logger: Logger): Promise<RecordingManifest[]> {
  let names: string[];
  try {
    names = await readdir(spoolOf(dir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // A crash in the middle of a write leaves its temporary file; the manifest before it still holds.
  for (const name of names.filter((n) => n.endsWith('.json.tmp'))) await rm(path.join(spoolOf(dir), name), { force: true });
  const manifests: RecordingManifest[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(spoolOf(dir), name);
    try {
      manifests.push(manifestSchema.parse(JSON.parse(await readFile(file, 'utf8'))));
    } catch (error) {
      logger.error({ err: error, file }, 'a recording manifest cannot be read; the recording is not resumed');
    }
  }
  return manifests;
}
