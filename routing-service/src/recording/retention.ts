/**
 * The retention job (SPEC §13): recordings older than their organisation's retention period are
 * deleted the way a supervisor deletes them (file gone, audit record kept), and audit records
 * past their own expiry are removed. Every routing instance runs the sweep on a timer; a
 * transaction-scoped advisory lock lets one run at a time, and each deletion is claimed by
 * deleting its row, so nothing is deleted twice and a crashed run is finished by the next one.
 */
import { sql } from 'kysely';
import type { Logger } from '../logger.ts';
import { deleteRecording, type RecordingsDeps } from './recordings.ts';

/** The advisory lock key of the sweep (any constant no other lock uses). */
const RETENTION_LOCK = 0x5245_4354; // "RECT"
/** Recordings deleted per run at most; the next run goes on. */
const BATCH = 200;

export async function sweepRetention(deps: RecordingsDeps, logger: Logger): Promise<{ deleted: number; auditsExpired: number } | null> {
  const { db } = deps;
  const now = deps.now();
  return db.connection().execute(async (conn) => {
    // Session-level lock on one pooled connection, released below: the storage deletions
    // run outside any transaction, so a slow store never holds row locks.
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${RETENTION_LOCK}) as locked`.execute(conn);
    if (!rows[0]?.locked) return null;
    try {
      const expired = await conn
        .selectFrom('recording as r')
        .innerJoin('recording_configuration as rc', 'rc.organisation_id', 'r.organisation_id')
        .select(['r.id', 'r.organisation_id'])
        .where('r.status', '!=', 'processing')
        .where(sql<boolean>`r.created_at < ${now}::timestamptz - make_interval(days => rc.retention_days)`)
        .orderBy('r.created_at')
        .limit(BATCH)
        .execute();
      let deleted = 0;
      for (const recording of expired) {
        try {
          await deleteRecording({ ...deps, now: () => now }, null, recording.organisation_id, recording.id);
          deleted++;
        } catch (error) {
          logger.warn({ err: error, recordingId: recording.id }, 'retention could not delete a recording; the next run retries');
        }
      }
      const audits = await conn.deleteFrom('recording_deletion').where('expires_at', '<=', now).executeTakeFirst();
      const auditsExpired = Number(audits.numDeletedRows);
      if (deleted > 0 || auditsExpired > 0) logger.info({ deleted, auditsExpired }, 'recording retention applied');
      return { deleted, auditsExpired };
    } finally {
      await sql`select pg_advisory_unlock(${RETENTION_LOCK})`.execute(conn);
    }
  });
}
