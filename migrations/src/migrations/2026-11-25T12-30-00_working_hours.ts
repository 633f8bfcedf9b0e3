import { sql, type Kysely } from 'kysely';

/**
 * Working hours per queue (SPEC §9): a time zone, weekly opening intervals and dated
 * exceptions (closed, or other hours), and the away message played to callers outside them.
 * A queue without a row (or with `enabled` off) is always open.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('working_hours')
    .addColumn('queue_id', 'uuid', (c) => c.primaryKey().references('queue.id').onDelete('cascade'))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    // [{ day: 1..7 (Monday..Sunday), from: 'HH:MM', to: 'HH:MM' }], validated by the routing service.
    .addColumn('weekly', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // [{ date: 'YYYY-MM-DD', closed: boolean, intervals: [{ from, to }] }]
    .addColumn('exceptions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('away_message_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('working_hours').execute();
}
