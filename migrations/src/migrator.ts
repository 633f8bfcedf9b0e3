import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { prepareRepeatedQueries } from './prepared.ts';
import * as m20261123callPath from './migrations/2026-11-23T10-00-00_call_path.ts';
import * as m20261123roundRobin from './migrations/2026-11-23T12-00-00_round_robin.ts';
import * as m20261123supervision from './migrations/2026-11-23T13-00-00_supervision.ts';
import * as m20261123socketIo from './migrations/2026-11-23T13-30-00_socket_io_attachments.ts';
import * as m20261123callHistory from './migrations/2026-11-23T14-00-00_call_history.ts';
import * as m20261123ringAll from './migrations/2026-11-23T15-00-00_ring_all.ts';
import * as m20261123assignmentOrder from './migrations/2026-11-23T15-30-00_assignment_order.ts';
import * as m20261124reconnectGrace from './migrations/2026-11-24T10-00-00_reconnect_grace.ts';
import * as m20261125promptsWaiting from './migrations/2026-11-25T09-00-00_prompts_waiting.ts';
import * as m20261125recording from './migrations/2026-11-25T10-00-00_recording.ts';
import * as m20261125hold from './migrations/2026-11-25T11-00-00_hold.ts';
import * as m20261125transfer from './migrations/2026-11-25T12-00-00_transfer.ts';
import * as m20261125workingHours from './migrations/2026-11-25T12-30-00_working_hours.ts';
import * as m20261125queuePosition from './migrations/2026-11-25T14-00-00_queue_position.ts';
import * as m20261125responseCodes from './migrations/2026-11-25T14-30-00_response_codes.ts';
import * as m20261125recordingStorage from './migrations/2026-11-25T15-00-00_recording_storage.ts';
import * as m20261126voicemail from './migrations/2026-11-26T09-00-00_voicemail.ts';
import * as m20261126agentRecordingOverride from './migrations/2026-11-26T09-30-00_agent_recording_override.ts';
import * as m20261126videoRecording from './migrations/2026-11-26T11-00-00_video_recording.ts';
import * as m20261126recordingOrphans from './migrations/2026-11-26T12-00-00_recording_orphans.ts';
import * as m20261127assignmentShortlist from './migrations/2026-11-27T09-00-00_assignment_shortlist.ts';

/** Every migration, listed explicitly in order; names are ISO timestamps. */
const migrations: Record<string, Migration> = {
  '2026-11-23T10-00-00_call_path': m20261123callPath,
  '2026-11-23T12-00-00_round_robin': m20261123roundRobin,
  '2026-11-23T13-00-00_supervision': m20261123supervision,
  '2026-11-23T13-30-00_socket_io_attachments': m20261123socketIo,
  '2026-11-23T14-00-00_call_history': m20261123callHistory,
  '2026-11-23T15-00-00_ring_all': m20261123ringAll,
  '2026-11-23T15-30-00_assignment_order': m20261123assignmentOrder,
  '2026-11-24T10-00-00_reconnect_grace': m20261124reconnectGrace,
  '2026-11-25T09-00-00_prompts_waiting': m20261125promptsWaiting,
  '2026-11-25T10-00-00_recording': m20261125recording,
  '2026-11-25T11-00-00_hold': m20261125hold,
  '2026-11-25T12-00-00_transfer': m20261125transfer,
  '2026-11-25T12-30-00_working_hours': m20261125workingHours,
  '2026-11-25T14-00-00_queue_position': m20261125queuePosition,
  '2026-11-25T14-30-00_response_codes': m20261125responseCodes,
  '2026-11-25T15-00-00_recording_storage': m20261125recordingStorage,
  '2026-11-26T09-00-00_voicemail': m20261126voicemail,
  '2026-11-26T09-30-00_agent_recording_override': m20261126agentRecordingOverride,
  '2026-11-26T11-00-00_video_recording': m20261126videoRecording,
  '2026-11-26T12-00-00_recording_orphans': m20261126recordingOrphans,
  '2026-11-27T09-00-00_assignment_shortlist': m20261127assignmentShortlist,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

export function createDb(connectionString: string, poolSize = 10): Kysely<Database> {
  // Idle connections stay for five minutes, not pg's ten seconds: each keeps its prepared
  // statements (see prepared.ts), which a new connection would parse and plan again.
  const pool = new pg.Pool({ connectionString, max: poolSize, idleTimeoutMillis: 300_000 });
  // An idle connection the server closed (PostgreSQL stopping first at Ctrl+C, or restarting):
  // the pool drops it and connects again when asked. Unhandled, the event would end the process.
  pool.on('error', () => undefined);
  pool.on('connect', prepareRepeatedQueries);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Brings the database to the newest schema; safe to run concurrently and repeatedly. */
export async function migrateToLatest(connectionString: string): Promise<string[]> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max: 1 }) }),
  });
  try {
    const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error('Migration failed', { cause: error });
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  } finally {
    await db.destroy();
  }
}
