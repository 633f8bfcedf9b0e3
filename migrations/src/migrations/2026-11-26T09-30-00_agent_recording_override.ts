import { sql, type Kysely } from 'kysely';

/**
 * Per-agent recording override (SPEC §13): an agent's calls may be recorded differently from
 * the organisation's setting (never, or on given directions). Read when the agent's segment
 * starts (the agent is not known earlier), against the call's direction frozen at its start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('agent')
    /** Null: the organisation's setting; `off`: never recorded; else the directions recorded. */
    .addColumn('recording_override', 'text', (c) => c.check(sql`recording_override in ('off', 'inbound', 'outbound', 'both')`))
    .execute();
  await db.schema
    .alterTable('call_recording_settings')
    /** The call's direction, for an agent's override to be checked against. */
    .addColumn('direction', 'text', (c) =>
      c
        .notNull()
        .defaultTo('inbound')
        .check(sql`direction in ('inbound', 'outbound')`),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('call_recording_settings').dropColumn('direction').execute();
  await db.schema.alterTable('agent').dropColumn('recording_override').execute();
}
