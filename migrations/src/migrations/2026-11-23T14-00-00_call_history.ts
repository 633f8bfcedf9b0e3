import type { Kysely } from 'kysely';

/** Call history (SPEC §14): an organisation's calls newest first, and one call's timeline. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // GET /api/calls: an organisation's calls newest first by (queued_at, id), one keyset page at a time.
  await db.schema.createIndex('call_org_queued_at_idx').on('call').columns(['organisation_id', 'queued_at desc', 'id desc']).execute();
  // GET /api/calls filtered by agent, and an agent's own calls: the calls an agent answered.
  await db.schema.createIndex('call_agent_queued_at_idx').on('call').columns(['agent_id', 'queued_at']).execute();
  // GET /api/calls/:id/timeline: the events of one call, oldest first.
  await db.schema.createIndex('call_event_call_idx').on('call_event').columns(['call_id', 'id']).execute();
  // An agent's own calls include those only offered to them: find their offers by agent.
  await db.schema.createIndex('call_offer_agent_idx').on('call_offer').columns(['agent_id', 'call_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('call_offer_agent_idx').execute();
  await db.schema.dropIndex('call_event_call_idx').execute();
  await db.schema.dropIndex('call_agent_queued_at_idx').execute();
  await db.schema.dropIndex('call_org_queued_at_idx').execute();
}
