import { sql, type Kysely } from 'kysely';

/**
 * Recording storage (SPEC §13): S3-compatible and SFTP storages besides local disk, their
 * settings and the retention period in the organisation's configuration, each file's metadata,
 * and the durable upload queue: a file is spooled on the composer's disk, then uploaded by a
 * job row that is retried with back-off and taken over after a crash, so a recording is never
 * lost and keeps the one name reserved for it. Deleted files (by a supervisor or the retention
 * job) leave an audit record that expires after the retention period.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['recording_configuration', 'call_recording_settings', 'recording']) {
    // The first step allowed only 'local'; the constraint is PostgreSQL's default name for it.
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_storage_check`)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_storage_check`)} check (storage in ('local', 's3', 'sftp'))`.execute(
      db,
    );
  }

  await db.schema
    .alterTable('recording_configuration')
    /** S3 settings (endpoint, region, bucket, prefix, keys, path style); kept when another storage is chosen. */
    .addColumn('storage_s3', 'jsonb')
    /** SFTP settings (host, port, path, user, password and/or private key). */
    .addColumn('storage_sftp', 'jsonb')
    .addColumn('retention_days', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(90)
        .check(sql`retention_days between 1 and 3650`),
    )
    .execute();

  await db.schema
    .alterTable('recording')
    /** Agent, end user, conversation, call, UTC start and end, channel layout: the `.json` / `.csv`. */
    .addColumn('metadata', 'jsonb')
    .execute();

  await db.schema
    .createTable('recording_upload')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    /** The recording session (composer recording id); no foreign key, so the composer can be tested alone. */
    .addColumn('session_id', 'uuid', (c) => c.notNull())
    .addColumn('leg', 'text', (c) => c.notNull().check(sql`leg in ('agent', 'customer', 'merged')`))
    .addColumn('storage', 'text', (c) => c.notNull().check(sql`storage in ('local', 's3', 'sftp')`))
    /** The file's name in the storage, reserved when the job is created and never changed. */
    .addColumn('file_name', 'text', (c) => c.notNull())
    /** The composer node whose spool holds the file: only that node can upload it. */
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('spool_path', 'text', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`state in ('pending', 'done', 'lost')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_at', 'timestamptz', (c) => c.notNull())
    /** Set while an uploader holds the job; a crashed uploader's job is taken over after it. */
    .addColumn('locked_until', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('done_at', 'timestamptz')
    .execute();
  // Enqueueing a session's files twice (a retried stop) finds the job and its name instead of adding one.
  await db.schema.createIndex('recording_upload_session_leg_idx').on('recording_upload').columns(['session_id', 'leg']).unique().execute();
  // Reserving a file name: two recordings never share one in an organisation's storage.
  await db.schema
    .createIndex('recording_upload_name_idx')
    .on('recording_upload')
    .columns(['organisation_id', 'storage', 'file_name'])
    .unique()
    .execute();
  // The uploader's claim: a node's pending jobs that are due, oldest first.
  await sql`create index recording_upload_due_idx on recording_upload (node, run_at) where state = 'pending'`.execute(db);

  // The recordings lists (an organisation's, newest first) and the retention sweep (oldest first).
  await db.schema.createIndex('recording_organisation_created_idx').on('recording').columns(['organisation_id', 'created_at']).execute();

  await db.schema
    .createTable('recording_deletion')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    /** The deleted `recording` row's id (the row is gone: no foreign key). */
    .addColumn('recording_id', 'uuid', (c) => c.notNull())
    .addColumn('file_name', 'text')
    .addColumn('conversation_id', 'uuid', (c) => c.notNull())
    .addColumn('call_id', 'uuid', (c) => c.notNull())
    /** The supervisor; null for the retention job (and once the user is deleted: the name stays). */
    .addColumn('deleted_by', 'uuid', (c) => c.references('user_account.id').onDelete('set null'))
    .addColumn('deleted_by_name', 'text')
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason in ('supervisor', 'retention')`))
    .addColumn('deleted_at', 'timestamptz', (c) => c.notNull())
    /** The audit record itself goes after the organisation's retention period. */
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // The retention sweep's expired audit records.
  await db.schema.createIndex('recording_deletion_expires_idx').on('recording_deletion').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('recording_deletion').execute();
  await db.schema.dropIndex('recording_organisation_created_idx').execute();
  await db.schema.dropTable('recording_upload').execute();
  await db.schema.alterTable('recording').dropColumn('metadata').execute();
  await db.schema
    .alterTable('recording_configuration')
    .dropColumn('storage_s3')
    .dropColumn('storage_sftp')
    .dropColumn('retention_days')
    .execute();
  for (const table of ['recording_configuration', 'call_recording_settings', 'recording']) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_storage_check`)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_storage_check`)} check (storage in ('local'))`.execute(db);
  }
}
