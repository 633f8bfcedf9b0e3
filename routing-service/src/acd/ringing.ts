/**
 * Who a call rings (SPEC §3–4): its open offers. Offering, one ring ending without an
 * answer, a call going back to its queue, and a caller leaving while it waits or rings.
 */
import { sql, type Expression } from 'kysely';
import type { Call } from '@cc/migrations';
import { setAgentStatus } from './agent-status.ts';
import { eventOf } from './calls.ts';
import type { Changes } from './changes.ts';
import type { Trx } from './db.ts';
import { recordEvent } from './timeline.ts';
import { returnTransfer } from './transfer.ts';
import { cancelTimers } from './timers.ts';

/** Who to ring: agent ids, or a query choosing them (column `agent_id`) that runs in the offer's statement. */
export type AgentsToRing = string[] | Expression<{ agent_id: string }>;

/**
 * Rings `agents` for a call: one open offer, one ring time-out and one timeline event each,
 * and the agents' status `ringing`. Who a call rings is its open offers; `call.agent_id` is
 * set only when one of them answers. One statement, the choice of agents included when it is
 * a query: an assignment pass makes its decisions one after another, so each round trip here
 * delays every call behind this one. Resolves with the agents rung; none (a query that chose
 * nobody) changes nothing.
 */
export async function offerCall(
  trx: Trx,
  changes: Changes,
  call: Call,
  agents: AgentsToRing,
  now: Date,
  ringTimeoutSeconds: number,
): Promise<string[]> {
  const dueAt = new Date(now.getTime() + ringTimeoutSeconds * 1000);
  const rung = await trx
    .with('r', (qb) => (Array.isArray(agents) ? qb.selectNoFrom(sql<string>`unnest(${agents}::uuid[])`.as('agent_id')) : agents))
    .with('ringing_call', (qb) =>
      qb
        .updateTable('call')
        .set({ state: 'ringing', agent_id: null, ring_started_at: now })
        .where('id', '=', call.id)
        .where((eb) => eb.exists(eb.selectFrom('r').select('r.agent_id')))
        .returning('id'),
    )
    .with('offers', (qb) =>
      qb
        .insertInto('call_offer')
        .columns(['call_id', 'agent_id', 'offered_at'])
        .expression((eb) =>
          eb.selectFrom('r').select([sql`${call.id}::uuid`.as('call_id'), 'r.agent_id', sql`${now}::timestamptz`.as('offered_at')]),
        ),
    )
    .with('members', (qb) =>
      qb
        .updateTable('queue_member')
        .set({ last_offered_at: now })
        .where('queue_id', '=', call.queue_id)
        .where('agent_id', 'in', (eb) => eb.selectFrom('r').select('r.agent_id')),
    )
    .with('statuses', (qb) =>
      qb
        .updateTable('agent')
        .set({ status: 'ringing', status_reason: null, status_since: now })
        .where('user_id', 'in', (eb) => eb.selectFrom('r').select('r.agent_id'))
        .returning(['user_id', 'organisation_id']),
    )
    .with('status_events', (qb) =>
      qb
        .insertInto('agent_status_event')
        .columns(['organisation_id', 'agent_id', 'status', 'reason', 'at'])
        .expression((eb) =>
          eb
            .selectFrom('statuses')
            .select([
              'statuses.organisation_id',
              'statuses.user_id',
              sql.lit('ringing').as('status'),
              sql`null::text`.as('reason'),
              sql`${now}::timestamptz`.as('at'),
            ]),
        ),
    )
    .with('ring_timeouts', (qb) =>
      qb
        .insertInto('timer')
        .columns(['organisation_id', 'kind', 'subject_id', 'agent_id', 'due_at'])
        .expression((eb) =>
          eb
            .selectFrom('r')
            .select([
              sql`${call.organisation_id}::uuid`.as('organisation_id'),
              sql.lit('ring_timeout').as('kind'),
              sql`${call.id}::uuid`.as('subject_id'),
              'r.agent_id',
              sql`${dueAt}::timestamptz`.as('due_at'),
            ]),
        ),
    )
    .insertInto('call_event')
    .columns(['organisation_id', 'conversation_id', 'call_id', 'type', 'actor_type', 'actor_id', 'data', 'at'])
    .expression((eb) =>
      eb
        .selectFrom('r')
        .select([
          sql`${call.organisation_id}::uuid`.as('organisation_id'),
          sql`${call.conversation_id}::uuid`.as('conversation_id'),
          sql`${call.id}::uuid`.as('call_id'),
          sql.lit('call_ringing').as('type'),
          sql.lit('system').as('actor_type'),
          sql`null::text`.as('actor_id'),
          sql`jsonb_build_object('agentId', r.agent_id)`.as('data'),
          sql`${now}::timestamptz`.as('at'),
        ]),
    )
    .returning(sql<string>`data->>'agentId'`.as('agent_id'))
    .execute();
  if (rung.length === 0) return [];
  for (const { agent_id: agentId } of rung) changes.agents.add(agentId);
  changes.timerScheduled(dueAt);
  changes.calls.add(call.id);
  return rung.map((r) => r.agent_id);
}

/** The agents a call is ringing (its open offers), locked. */
export async function lockOpenOffers(trx: Trx, callId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('call_offer')
    .select('agent_id')
    .where('call_id', '=', callId)
    .where('outcome', 'is', null)
    .forUpdate()
    .execute();
  return rows.map((r) => r.agent_id);
}

/**
 * One agent's ringing ends without an answer (declined or timed out). The call keeps ringing
 * the others (ring_all); when none is left it goes back to its queue.
 */
export async function stopRinging(
  trx: Trx,
  changes: Changes,
  call: Call,
  agentId: string,
  ringing: string[],
  outcome: 'declined' | 'timed_out',
  now: Date,
): Promise<void> {
  await closeOffer(trx, call.id, agentId, outcome, now);
  await cancelTimers(trx, call.id, 'ring_timeout', agentId);
  if (ringing.every((id) => id === agentId)) {
    // A transfer rings once: unanswered, it comes back instead of waiting for another agent.
    if (call.transfer_from_agent_id) await returnTransfer(trx, changes, call, outcome, now);
    else await requeue(trx, changes, call);
  }
  changes.calls.add(call.id);
}

/** Puts a ringing call back in its queue, ahead of later arrivals (its arrival time is kept). */
export async function requeue(trx: Trx, changes: Changes, call: Call): Promise<void> {
  await trx.updateTable('call').set({ state: 'queued', agent_id: null, ring_started_at: null }).where('id', '=', call.id).execute();
  await cancelTimers(trx, call.id, 'ring_timeout');
  changes.calls.add(call.id);
  changes.queues.add(call.queue_id);
}

export async function closeOffer(
  trx: Trx,
  callId: string,
  agentId: string,
  outcome: 'answered' | 'declined' | 'timed_out' | 'cancelled',
  now: Date,
) {
  await trx
    .updateTable('call_offer')
    .set({ outcome, outcome_at: now })
    .where('call_id', '=', callId)
    .where('agent_id', '=', agentId)
    .where('outcome', 'is', null)
    .execute();
}

/**
 * The call leaves its queue for good (a callback was requested, a voicemail begins): the agents
 * it rings are freed, and its ring, maximum-wait and waiting-end timers are dropped.
 */
export async function stopOffering(trx: Trx, changes: Changes, call: Call, now: Date): Promise<void> {
  for (const agentId of await lockOpenOffers(trx, call.id)) {
    await closeOffer(trx, call.id, agentId, 'cancelled', now);
    await setAgentStatus(trx, changes, agentId, 'available', null, now);
  }
  await cancelTimers(trx, call.id, ['ring_timeout', 'max_wait', 'waiting_end']);
}

export async function abandon(trx: Trx, changes: Changes, call: Call, now: Date): Promise<void> {
  await trx.updateTable('call').set({ state: 'abandoned', ended_at: now, end_reason: 'customer_left' }).where('id', '=', call.id).execute();
  await cancelTimers(trx, call.id, 'ring_timeout');
  for (const agentId of await lockOpenOffers(trx, call.id)) {
    await closeOffer(trx, call.id, agentId, 'cancelled', now);
    await setAgentStatus(trx, changes, agentId, 'available', null, now);
  }
  await recordEvent(
    trx,
    eventOf(call, 'call_abandoned', { type: 'customer', id: null }, now, {
      waitedSeconds: (now.getTime() - call.queued_at.getTime()) / 1000,
    }),
  );
  changes.calls.add(call.id);
  changes.roomsToClose.set(call.room_id, 'abandoned');
}
