import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { ByteRange } from '@cc/recording-composer/storage';
import { RECORDING_CONTENT_TYPES, recordingMetadataCsv, recordingsQuerySchema } from '@cc/contracts';
import { deleteRecording, listRecordings, recordingFile, recordingMetadata, type RecordingsDeps } from '../recording/recordings.ts';
import { AppError } from '../errors.ts';
import { currentUser, idOf, parseBody, requireRole, route } from './support.ts';

/** One `Range: bytes=a-b` / `a-` / `-n` of a file of `size` bytes (what players send); others get the whole file. */
export function byteRange(header: string | undefined, size: number | null): ByteRange | undefined {
  const match = header === undefined || size === null ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || size === null || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start > end || start >= size) throw new AppError('range_not_satisfiable', `The file has ${size} bytes`);
  return { start, end };
}

/** `filename*` (RFC 6266/5987) for any name, and a plain ASCII fallback. */
function disposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Recordings (SPEC §13): lists (per conversation, or filtered), the file for the player or as a
 * download, its metadata as `.csv` (a download is the two links: the file and the `.csv`), and
 * deletion by supervisors. Agents see and download only their own.
 */
export function recordingRoutes(deps: RecordingsDeps): Router {
  const router = Router();

  router.get(
    '/recordings',
    route(async (req, res) => {
      res.json(await listRecordings(deps.db, currentUser(res), parseBody(recordingsQuerySchema, req.query)));
    }),
  );

  router.get(
    '/recordings/:id/file',
    route(async (req, res) => {
      const { summary, stream, range } = await recordingFile(deps, currentUser(res), idOf(req, 'Recording'), (size) =>
        byteRange(req.headers.range, size),
      );
      // video/webm for video recordings: browsers pick the player and seek by ranges on it.
      res.setHeader('content-type', RECORDING_CONTENT_TYPES[summary.container]);
      if (summary.bytes !== null) res.setHeader('accept-ranges', 'bytes');
      if (range) {
        res.status(206);
        res.setHeader('content-range', `bytes ${range.start}-${range.end}/${summary.bytes ?? '*'}`);
        res.setHeader('content-length', String(range.end - range.start + 1));
      } else if (summary.bytes !== null) {
        res.setHeader('content-length', String(summary.bytes));
      }
      res.setHeader(
        'content-disposition',
        disposition(
          req.query['download'] === '1' ? 'attachment' : 'inline',
          summary.fileName ?? (summary.container === 'webm' ? 'recording.webm' : 'recording.opus'),
        ),
      );
      // Private: a recording is never kept by a shared cache.
      res.setHeader('cache-control', 'private, no-store');
      await pipeline(stream, res);
    }),
  );

  router.get(
    '/recordings/:id/metadata.csv',
    route(async (req, res) => {
      const { fileName, metadata } = await recordingMetadata(deps, currentUser(res), idOf(req, 'Recording'));
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', disposition('attachment', `${fileName.replace(/\.[^.]+$/, '')}.csv`));
      res.setHeader('cache-control', 'private, no-store');
      res.send(recordingMetadataCsv(metadata));
    }),
  );

  router.delete(
    '/recordings/:id',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      res.json(await deleteRecording(deps, user, user.organisationId, idOf(req, 'Recording')));
    }),
  );
  return router;
}
