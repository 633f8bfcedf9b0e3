import { sql, type Kysely } from 'kysely';

/**
 * Blind transfer (SPEC §6): a call remembers who transferred it (and from which queue) while
 * the transfer rings, so a failed transfer comes back to that agent; each agent segment of a
 * call has its own wrap-up (the key becomes call + agent); the organisation chooses what the
 * customer hears while the transfer rings.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('call')
    .addColumn('transfer_from_agent_id', 'uuid', (c) => c.references('agent.user_id').onDelete('set null'))
    .addColumn('transfer_from_queue_id', 'uuid', (c) => c.references('queue.id').onDelete('set null'))
    .execute();
  await sql`alter table wrap_up drop constraint wrap_up_pkey`.execute(db);
  await db.schema.alterTable('wrap_up').addPrimaryKeyConstraint('wrap_up_pkey', ['call_id', 'agent_id']).execute();
  await db.schema
    .alterTable('organisation')
    .addColumn('transfer_music_prompt_id', 'uuid', (c) => c.references('prompt.id').onDelete('set null'))
    .addColumn('transfer_message_prompt_id', 'uuid', (c) => c.references('prompt.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('organisation').dropColumn('transfer_music_prompt_id').dropColumn('transfer_message_prompt_id').execute();
  await sql`alter table wrap_up drop constraint wrap_up_pkey`.execute(db);
  await db.schema.alterTable('wrap_up').addPrimaryKeyConstraint('wrap_up_pkey', ['call_id']).execute();
  await db.schema.alterTable('call').dropColumn('transfer_from_agent_id').dropColumn('transfer_from_queue_id').execute();
}
