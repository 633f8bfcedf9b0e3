/**
 * Recordings a routing instance that went away left undone (SPEC §13: a recording is never
 * lost, and never "being processed" for ever). The recorder is told of a call's end after the
 * commit, and files the composer's result after the composer answers; an instance killed in
 * between leaves a session still recording for an ended call, or a stopped session whose rows
 * are still processing without an upload job.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '@cc/migrations';

/** How long after a call's end (or past the stop's retry window) a recording counts as left behind. */
export const ORPHAN_GRACE_MS = 60_000;

export async function findOrphans(
  db: Kysely<Database>,
  now: Date,
  stopRetryMs: number,
): Promise<{ unstopped: string[]; unfiled: { id: string; call_id: string; room_id: string }[] }> {
  const endedBefore = new Date(now.getTime() - ORPHAN_GRACE_MS);
  const unstopped = await db
    .selectFrom('recording_session as rs')
    .innerJoin('call as c', 'c.id', 'rs.call_id')
    .select('c.room_id')
    .distinct()
    .where('rs.state', '=', 'recording')
    .where('c.ended_at', '<', endedBefore)
    .execute();
  const stoppedBefore = new Date(now.getTime() - stopRetryMs - ORPHAN_GRACE_MS);
  const unfiled = await db
    .selectFrom('recording as r')
    .innerJoin('recording_session as rs', 'rs.id', 'r.session_id')
    .innerJoin('call as c', 'c.id', 'rs.call_id')
    .select(['rs.id', 'rs.call_id', 'c.room_id'])
    .distinct()
    .where('r.status', '=', 'processing')
    .where('rs.state', '=', 'stopped')
    .where('rs.stopped_at', '<', stoppedBefore)
    // Filed rows wait for their upload job; a row without one was never filed.
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('recording_upload as u')
            .select(sql`1`.as('one'))
            .whereRef('u.session_id', '=', 'r.session_id')
            .whereRef('u.leg', '=', 'r.leg'),
        ),
      ),
    )
    .limit(100)
    .execute();
  return { unstopped: unstopped.map((row) => row.room_id), unfiled };
}
