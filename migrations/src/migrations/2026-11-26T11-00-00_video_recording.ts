import { sql, type Kysely } from 'kysely';

/**
 * Video recordings (SPEC §13, `audio_and_video`): a leg of a video call is one WebM file (VP8 +
 * Opus) instead of Ogg Opus, and a merged recording also gets a side-by-side composite video
 * (agent left, customer right) beside the stereo audio. So a file says its container (what it is
 * served as), a session has a fourth file (`composite`), and the composite has its own layout.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('recording')
    .addColumn('container', 'text', (c) =>
      c
        .notNull()
        .defaultTo('ogg')
        .check(sql`container in ('ogg', 'webm')`),
    )
    .execute();
  // The earlier steps' checks have PostgreSQL's default names.
  for (const table of ['recording', 'recording_upload']) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_leg_check`)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_leg_check`)} check (leg in ('agent', 'customer', 'merged', 'composite'))`.execute(
      db,
    );
  }
  await sql`alter table recording drop constraint recording_channel_layout_check`.execute(db);
  await sql`alter table recording add constraint recording_channel_layout_check check (channel_layout in ('mono', 'stereo_agent_left_customer_right', 'side_by_side_agent_left_customer_right'))`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from recording_upload where leg = 'composite'`.execute(db);
  await sql`delete from recording where leg = 'composite'`.execute(db);
  for (const table of ['recording', 'recording_upload']) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_leg_check`)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_leg_check`)} check (leg in ('agent', 'customer', 'merged'))`.execute(
      db,
    );
  }
  await sql`alter table recording drop constraint recording_channel_layout_check`.execute(db);
  await sql`alter table recording add constraint recording_channel_layout_check check (channel_layout in ('mono', 'stereo_agent_left_customer_right'))`.execute(
    db,
  );
  await db.schema.alterTable('recording').dropColumn('container').execute();
}
