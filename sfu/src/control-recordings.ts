/**
 * The control API's recording routes (SPEC §13), under a room:
 *   POST   /rooms/:roomId/recordings                {recordingId, legs} → 201 | 200 RecordingTapSummary
 *   GET    /rooms/:roomId/recordings/:recordingId                      → RecordingTapSummary
 *   DELETE /rooms/:roomId/recordings/:recordingId                      → 204 (404 when unknown)
 */
import { recordingTapStartSchema } from '@cc/contracts';
import { SfuError } from './errors.ts';
import type { Room } from './Room.ts';

export interface RecordingRouteAnswer {
  status: number;
  body?: unknown;
}

/** `rest` is the path after `/rooms/:roomId/recordings`; `readBody` parses the JSON body. */
export async function recordingRoute(
  room: Room,
  method: string,
  rest: string[],
  readBody: () => Promise<unknown>,
): Promise<RecordingRouteAnswer> {
  if (rest.length === 0 && method === 'POST') {
    const request = recordingTapStartSchema.parse(await readBody());
    const { tap, created } = await room.recordings.start(request);
    return { status: created ? 201 : 200, body: tap.summary() };
  }
  const recordingId = rest[0];
  if (recordingId === undefined || rest.length > 1) throw new SfuError('not_found', 'No such endpoint');
  if (method === 'GET') {
    const tap = room.recordings.get(recordingId);
    if (!tap) throw new SfuError('not_found', 'No such recording');
    return { status: 200, body: tap.summary() };
  }
  if (method === 'DELETE') {
    if (!room.recordings.stop(recordingId)) throw new SfuError('not_found', 'No such recording');
    return { status: 204 };
  }
  throw new SfuError('not_found', 'No such endpoint');
}
