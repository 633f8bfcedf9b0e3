import { sql, type Kysely } from 'kysely';

/**
 * What a queued customer hears: prompts (text-to-speech or an uploaded file, converted once to
 * Ogg Opus and stored by content hash), the organisation's custom pronunciations, each queue's
 * waiting strategy, and the durable timers of the maximum wait (`max_wait`: the last message
 * starts; `waiting_end`: it has played and the call ends as timed_out).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Converted audio by SHA-256 of the Ogg file: the same audio is stored once whoever made it.
  await db.schema
    .createTable('prompt_audio')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('ogg', 'bytea', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Synthesised speech by a hash of what was synthesised (text after pronunciations, voice, rate).
  await db.schema
    .createTable('speech_cache')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('audio_hash', 'text', (c) => c.notNull().references('prompt_audio.hash'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('prompt')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('speech', 'file')`))
    .addColumn('text', 'text')
    .addColumn('language', 'text')
    .addColumn('voice', 'text')
    .addColumn('speech_rate', 'integer')
    .addColumn('file_name', 'text')
    .addColumn('audio_hash', 'text', (c) => c.notNull().references('prompt_audio.hash'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The console lists an organisation's prompts by name; names are unique per organisation.
  await db.schema.createIndex('prompt_organisation_name_idx').on('prompt').columns(['organisation_id', 'name']).unique().execute();
  await db.schema
    .createTable('pronunciation')
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('word', 'text', (c) => c.notNull())
    .addColumn('spoken_as', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pronunciation_pkey', ['organisation_id', 'word'])
    .execute();
  // One row per queue once configured; a queue without a row has the defaults (music only).
  await db.schema
    .createTable('waiting_strategy')
    .addColumn('queue_id', 'uuid', (c) => c.primaryKey().references('queue.id').onDelete('cascade'))
    .addColumn('greeting_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('greeting_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    .addColumn('music_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('music_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    .addColumn('announcement_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('announcement_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    .addColumn('announcement_every_seconds', 'integer', (c) => c.notNull().defaultTo(30))
    .addColumn('max_wait_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('max_wait_seconds', 'integer', (c) => c.notNull().defaultTo(600))
    .addColumn('last_message_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    .execute();
  // Set while a call's last message plays: assignment no longer offers it.
  await db.schema.alterTable('call').addColumn('waiting_ends_at', 'timestamptz').execute();
  await sql`alter table timer drop constraint timer_kind_check`.execute(db);
  await sql`alter table timer add constraint timer_kind_check check (kind in ('ring_timeout', 'wrap_up_end', 'reconnect_grace', 'max_wait', 'waiting_end'))`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from timer where kind in ('max_wait', 'waiting_end')`.execute(db);
  await sql`alter table timer drop constraint timer_kind_check`.execute(db);
  await sql`alter table timer add constraint timer_kind_check check (kind in ('ring_timeout', 'wrap_up_end', 'reconnect_grace'))`.execute(
    db,
  );
  await db.schema.alterTable('call').dropColumn('waiting_ends_at').execute();
  await db.schema.dropTable('waiting_strategy').execute();
  await db.schema.dropTable('pronunciation').execute();
  await db.schema.dropTable('prompt').execute();
  await db.schema.dropTable('speech_cache').execute();
  await db.schema.dropTable('prompt_audio').execute();
}
