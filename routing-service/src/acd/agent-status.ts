import type { AgentStatus } from '@cc/contracts';
import type { Changes } from './changes.ts';
import type { Db } from './db.ts';

/**
 * Sets an agent's status, records the status event, and, when the agent becomes available,
 * marks the queues that may now have a call for them.
 */
export async function setAgentStatus(
  db: Db,
  changes: Changes,
  agentId: string,
  status: AgentStatus,
  reason: string | null,
  now: Date,
): Promise<void> {
  const previous = await db
    .selectFrom('agent')
    .select(['status', 'status_reason', 'organisation_id'])
    .where('user_id', '=', agentId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (previous.status === status && previous.status_reason === reason) return;
  // Longest idle counts from the end of the last piece of work, not from a declined ring.
  const idleAgain = status === 'available' && previous.status !== 'ringing';
  await db
    .updateTable('agent')
    .set({ status, status_reason: reason, status_since: now, ...(idleAgain ? { idle_since: now } : {}) })
    .where('user_id', '=', agentId)
    .execute();
  await db
    .insertInto('agent_status_event')
    .values({ organisation_id: previous.organisation_id, agent_id: agentId, status, reason, at: now })
    .execute();
  changes.agents.add(agentId);
  if (status === 'available') {
    const queues = await db
      .selectFrom('queue_member')
      .select('queue_id')
      .where('agent_id', '=', agentId)
      .union(db.selectFrom('call').select('queue_id').where('target_agent_id', '=', agentId).where('state', '=', 'queued'))
      .execute();
    for (const q of queues) changes.queues.add(q.queue_id);
  }
}
