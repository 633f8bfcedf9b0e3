import { sql, type Kysely } from 'kysely';

/**
 * The recorder's sweep for recordings a routing instance left undone (routing-service
 * `recording/orphans.ts`) looks at few rows: sessions still recording, files still being
 * processed. Partial indexes keep those lookups small however many recordings there are.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Sessions still recording (the sweep joins their calls to find the ended ones).
  await sql`create index recording_session_recording_idx on recording_session (call_id) include (id) where state = 'recording'`.execute(db);
  // Files still being processed (the sweep's unfiled recordings; "being processed" lists).
  await sql`create index recording_processing_idx on recording (session_id, leg) where status = 'processing'`.execute(db);
  // (The upload job of a file, the sweep's "was it filed?", has recording_upload_session_leg_idx.)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('recording_processing_idx').execute();
  await db.schema.dropIndex('recording_session_recording_idx').execute();
}
