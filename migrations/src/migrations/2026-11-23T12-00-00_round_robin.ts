import type { Kysely } from 'kysely';

/** Round robin rotates through a queue's members by when each was last offered a call of that queue. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('queue_member').addColumn('last_offered_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('queue_member').dropColumn('last_offered_at').execute();
}
