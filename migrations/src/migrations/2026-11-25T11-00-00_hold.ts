import { sql, type Kysely } from 'kysely';

/**
 * Hold (SPEC §5): named hold configurations per organisation (music, and an announcement every
 * N s, default 10 s), one of them the organisation's `Default`; a queue names its own or, when
 * it names none, gets the Default. Every organisation gets its Default here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('hold_configuration')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('music_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    .addColumn('announcement_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('announcement_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    .addColumn('announcement_every_seconds', 'integer', (c) => c.notNull().defaultTo(10))
    .execute();
  // The console lists configurations by name, unique per organisation.
  await db.schema
    .createIndex('hold_configuration_name_idx')
    .on('hold_configuration')
    .columns(['organisation_id', 'name'])
    .unique()
    .execute();
  // "The organisation's Default": at most one, found by organisation.
  await sql`create unique index hold_configuration_default_idx on hold_configuration (organisation_id) where is_default`.execute(db);
  await db.schema
    .alterTable('queue')
    .addColumn('hold_configuration_id', 'uuid', (c) => c.references('hold_configuration.id').onDelete('set null'))
    .execute();
  // Orders what the SFU is told to play to a call's customer: requests from different moments
  // (and instances) can arrive out of order, and the SFU keeps only the newest.
  await db.schema
    .alterTable('call')
    .addColumn('playback_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into hold_configuration (organisation_id, name, is_default) select id, 'Default', true from organisation`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('call').dropColumn('playback_version').execute();
  await db.schema.alterTable('queue').dropColumn('hold_configuration_id').execute();
  await db.schema.dropTable('hold_configuration').execute();
}
