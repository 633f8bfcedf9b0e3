import { sql, type Kysely } from 'kysely';

/**
 * Indexes in each strategy's order, so one assignment decision walks the first few eligible
 * agents instead of ranking every member of the queue.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // longest_idle, ring_all and the tie-break of the others: available agents, idle longest first.
  await sql`create index agent_available_idle_idx on agent (idle_since, user_id) where status = 'available'`.execute(db);
  // round_robin: a queue's members, offered a call longest ago (or never) first.
  await sql`create index queue_member_round_robin_idx on queue_member (queue_id, last_offered_at asc nulls first)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('queue_member_round_robin_idx').execute();
  await db.schema.dropIndex('agent_available_idle_idx').execute();
}
