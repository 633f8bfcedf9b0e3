import { sql, type Kysely } from 'kysely';

/**
 * Recording (SPEC §13): the organisation's configuration, a frozen copy of it per call (read
 * when the call starts, so a change never affects calls in progress), one recording session
 * per agent segment (the id the composer and the SFU tap share), and one row per file.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('recording_configuration')
    .addColumn('organisation_id', 'uuid', (c) => c.primaryKey().references('organisation.id').onDelete('cascade'))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('directions', 'text', (c) =>
      c
        .notNull()
        .defaultTo('both')
        .check(sql`directions in ('inbound', 'outbound', 'both')`),
    )
    .addColumn('video_mode', 'text', (c) =>
      c
        .notNull()
        .defaultTo('audio_only')
        .check(sql`video_mode in ('audio_only', 'audio_and_video')`),
    )
    .addColumn('composition', 'text', (c) =>
      c
        .notNull()
        .defaultTo('merged')
        .check(sql`composition in ('per_leg', 'merged')`),
    )
    .addColumn('storage', 'text', (c) =>
      c
        .notNull()
        .defaultTo('local')
        .check(sql`storage in ('local')`),
    )
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('call_recording_settings')
    .addColumn('call_id', 'uuid', (c) => c.primaryKey().references('call.id').onDelete('cascade'))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    /** Whether this call is recorded: enabled, and its direction is one the configuration records. */
    .addColumn('record', 'boolean', (c) => c.notNull())
    .addColumn('video_mode', 'text', (c) => c.notNull().check(sql`video_mode in ('audio_only', 'audio_and_video')`))
    .addColumn('composition', 'text', (c) => c.notNull().check(sql`composition in ('per_leg', 'merged')`))
    .addColumn('storage', 'text', (c) => c.notNull().check(sql`storage in ('local')`))
    .addColumn('frozen_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('recording_session')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('call_id', 'uuid', (c) => c.notNull().references('call.id').onDelete('cascade'))
    .addColumn('agent_id', 'uuid', (c) => c.references('agent.user_id').onDelete('set null'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('recording', 'stopped')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('stopped_at', 'timestamptz')
    .execute();
  // Stopping a call's recording when it ends: its session still recording (at most one at a time).
  await sql`create unique index recording_session_running_idx on recording_session (call_id) where state = 'recording'`.execute(db);

  await db.schema
    .createTable('recording')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('recording_session.id').onDelete('cascade'))
    .addColumn('call_id', 'uuid', (c) => c.notNull().references('call.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversation.id').onDelete('cascade'))
    .addColumn('agent_id', 'uuid', (c) => c.references('agent.user_id').onDelete('set null'))
    .addColumn('leg', 'text', (c) => c.notNull().check(sql`leg in ('agent', 'customer', 'merged')`))
    .addColumn('channel_layout', 'text', (c) => c.notNull().check(sql`channel_layout in ('mono', 'stereo_agent_left_customer_right')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('processing', 'ready', 'failed')`))
    .addColumn('storage', 'text', (c) => c.notNull().check(sql`storage in ('local')`))
    .addColumn('file_name', 'text')
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('duration_ms', 'integer')
    .addColumn('bytes', 'bigint')
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One file per leg per session: finishing a session twice (a retried stop) cannot add rows.
  await db.schema.createIndex('recording_session_leg_idx').on('recording').columns(['session_id', 'leg']).unique().execute();
  // A call's recordings (the call history and the end-to-end check), oldest first.
  await db.schema.createIndex('recording_call_idx').on('recording').columns(['call_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('recording').execute();
  await db.schema.dropTable('recording_session').execute();
  await db.schema.dropTable('call_recording_settings').execute();
  await db.schema.dropTable('recording_configuration').execute();
}
