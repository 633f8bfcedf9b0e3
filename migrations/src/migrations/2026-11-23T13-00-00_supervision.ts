import { sql, type Kysely } from 'kysely';

/**
 * What supervisors configure and watch: a per-queue service-level threshold (share of calls
 * answered within N s, default 20 s) and the organisation's time zone, which says when
 * "today" starts in the live view.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('queue')
    .addColumn('service_level_seconds', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(20)
        .check(sql`service_level_seconds between 1 and 3600`),
    )
    .execute();
  await db.schema
    .alterTable('organisation')
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .execute();
  // The live view counts a queue's calls since the start of today.
  await db.schema.createIndex('call_queue_queued_at_idx').on('call').columns(['queue_id', 'queued_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('call_queue_queued_at_idx').execute();
  await db.schema.alterTable('organisation').dropColumn('time_zone').execute();
  await db.schema.alterTable('queue').dropColumn('service_level_seconds').execute();
}
