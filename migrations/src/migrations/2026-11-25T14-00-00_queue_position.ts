import type { Kysely } from 'kysely';

/**
 * A waiting strategy's announcement may tell callers their position in the queue and the
 * estimated wait (SPEC §8); both off by default.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('waiting_strategy')
    .addColumn('announce_position', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('announce_estimated_wait', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('waiting_strategy').dropColumn('announce_position').dropColumn('announce_estimated_wait').execute();
}
