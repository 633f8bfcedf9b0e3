import { sql, type Kysely } from 'kysely';

/**
 * Ringing several agents at once (`ring_all`): who a call rings is now its open offers, not
 * `call.agent_id` (which names the agent who answered).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Eligibility ("no call ringing this agent") and the agent desktop's ringing call: an agent's open offers.
  await sql`create index call_offer_agent_open_idx on call_offer (agent_id) where outcome is null`.execute(db);
  // Answer, decline, ring time-out and abandon: a call's open offers.
  await sql`create index call_offer_call_open_idx on call_offer (call_id) where outcome is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('call_offer_call_open_idx').execute();
  await db.schema.dropIndex('call_offer_agent_open_idx').execute();
}
