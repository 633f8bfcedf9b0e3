import { sql } from 'kysely';
import type { AgentStatus } from '@cc/contracts';
import type { Changes } from './changes.ts';
import type { Db } from './db.ts';

/**
 * Sets an agent's status and records the status event, in one statement (a status changes
 * several times in every call, so round trips count); when the agent becomes available,
 * marks the queues that may now have a call for them. Setting the status an agent already
 * has (with the same reason) changes nothing.
 */
export async function setAgentStatus(
  db: Db,
  changes: Changes,
  agentId: string,
  status: AgentStatus,
  reason: string | null,
  now: Date,
): Promise<void> {
  const available = status === 'available';
  const row = await db
    .with('previous', (qb) =>
      qb.selectFrom('agent').select(['user_id', 'status', 'status_reason']).where('user_id', '=', agentId).forUpdate(),
    )
    .with('changed', (qb) =>
      qb
        .updateTable('agent')
        .from('previous')
        .set({
          status,
          status_reason: reason,
          status_since: now,
          // Longest idle counts from the end of the last piece of work, not from a declined ring.
          idle_since: available ? sql`case when previous.status <> 'ringing' then ${now} else agent.idle_since end` : sql`agent.idle_since`,
        })
        .whereRef('agent.user_id', '=', 'previous.user_id')
        .where(sql<boolean>`(previous.status, previous.status_reason) is distinct from (${status}::text, ${reason}::text)`)
        .returning(['agent.user_id', 'agent.organisation_id']),
    )
    .with('event', (qb) =>
      qb
        .insertInto('agent_status_event')
        .columns(['organisation_id', 'agent_id', 'status', 'reason', 'at'])
        .expression((eb) =>
          eb
            .selectFrom('changed')
            .select([
              'changed.organisation_id',
              'changed.user_id',
              sql`${status}::text`.as('status'),
              sql`${reason}::text`.as('reason'),
              sql`${now}::timestamptz`.as('at'),
            ]),
        ),
    )
    .selectFrom('previous')
    .select((eb) => [
      eb.exists(eb.selectFrom('changed').select('changed.user_id')).as('changed'),
      // The queues with a call this agent may now take: those they are a member of, and
      // those holding a call routed to them.
      (available
        ? sql<
            string[]
          >`array(select queue_id from queue_member where agent_id = ${agentId} union select queue_id from call where target_agent_id = ${agentId} and state = 'queued')`
        : sql<string[]>`'{}'::uuid[]`
      ).as('queue_ids'),
    ])
    .executeTakeFirstOrThrow();
  if (!row.changed) return;
  changes.agents.add(agentId);
  for (const queueId of row.queue_ids) changes.queues.add(queueId);
}
