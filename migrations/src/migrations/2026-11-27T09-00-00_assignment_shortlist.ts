import { sql, type Kysely } from 'kysely';

/**
 * An assignment decision first looks at an organisation's available agents idle longest
 * (its shortlist): the index now starts with the organisation, so it is walked in that order
 * for one organisation, not across every tenant's agents.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('agent_available_idle_idx').execute();
  await sql`create index agent_available_idle_idx on agent (organisation_id, idle_since, user_id) where status = 'available'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('agent_available_idle_idx').execute();
  await sql`create index agent_available_idle_idx on agent (idle_since, user_id) where status = 'available'`.execute(db);
}
