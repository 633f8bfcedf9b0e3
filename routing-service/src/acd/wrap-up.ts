/** The end of a connected call and the agent's wrap-up after it (SPEC §7). */
import { sql } from 'kysely';
import type { Call } from '@cc/migrations';
import { invalidTransition } from '../errors.ts';
import { setAgentStatus } from './agent-status.ts';
import { eventOf, lockCall } from './calls.ts';
import type { Changes } from './changes.ts';
import type { Trx } from './db.ts';
import { eventRow, recordEvent, SYSTEM, type Actor } from './timeline.ts';
import { cancelTimers, scheduleTimer } from './timers.ts';

export async function endConnectedCall(trx: Trx, changes: Changes, call: Call, reason: string, actor: Actor, now: Date): Promise<void> {
  const talkSeconds = call.answered_at ? (now.getTime() - call.answered_at.getTime()) / 1000 : 0;
  // One statement: the call ends, the timeline says so, and the agent's wrap-up time is read.
  const ended = await trx
    .with('event', (qb) => qb.insertInto('call_event').values(eventRow(eventOf(call, 'call_ended', actor, now, { reason, talkSeconds }))))
    .updateTable('call')
    .set({ state: 'ended', ended_at: now, end_reason: reason })
    .where('id', '=', call.id)
    .returning(sql<number | null>`(${wrapUpSeconds(trx, call.agent_id)})`.as('wrap_up_seconds'))
    .executeTakeFirstOrThrow();
  changes.calls.add(call.id);
  changes.roomsToClose.set(call.room_id, reason);
  if (call.agent_id) await startWrapUp(trx, changes, call, call.agent_id, now, ended.wrap_up_seconds ?? undefined);
}

/** The agent's wrap-up time in seconds: their own, or else the organisation's. */
function wrapUpSeconds(trx: Trx, agentId: string | null) {
  return trx
    .selectFrom('agent as a')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id')
    .select(sql<number>`coalesce(a.wrap_up_seconds, o.wrap_up_seconds)`.as('seconds'))
    .where('a.user_id', '=', agentId);
}

/**
 * After every call the agent is in wrap-up for their (or the organisation's) wrap-up time (SPEC §7).
 * `seconds`: that time, when the caller has read it already.
 */
export async function startWrapUp(trx: Trx, changes: Changes, call: Call, agentId: string, now: Date, seconds?: number): Promise<void> {
  seconds ??= (await wrapUpSeconds(trx, agentId).executeTakeFirstOrThrow()).seconds;
  if (seconds === 0) {
    await setAgentStatus(trx, changes, agentId, 'available', null, now);
    return;
  }
  const endsAt = new Date(now.getTime() + seconds * 1000);
  // A call that came back to this agent (a failed transfer) had a wrap-up already: it starts again.
  await trx
    .insertInto('wrap_up')
    .values({ call_id: call.id, agent_id: agentId, started_at: now, ends_at: endsAt })
    .onConflict((oc) => oc.columns(['call_id', 'agent_id']).doUpdateSet({ started_at: now, ends_at: endsAt, ended_at: null }))
    .execute();
  await scheduleTimer(trx, changes, {
    organisationId: call.organisation_id,
    kind: 'wrap_up_end',
    subjectId: call.id,
    agentId,
    dueAt: endsAt,
  });
  await setAgentStatus(trx, changes, agentId, 'wrap_up', null, now);
  await recordEvent(trx, eventOf(call, 'wrap_up_started', SYSTEM, now, { agentId, endsAt: endsAt.toISOString() }));
}

export async function lockOpenWrapUp(trx: Trx, agentId: string, callId: string) {
  const wrapUp = await trx
    .selectFrom('wrap_up')
    .selectAll()
    .where('call_id', '=', callId)
    .where('agent_id', '=', agentId)
    .where('ended_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!wrapUp) throw invalidTransition('There is no wrap-up in progress for this call');
  const call = await lockCall(trx, callId);
  return { wrapUp, call };
}

export async function finishWrapUp(trx: Trx, changes: Changes, call: Call, agentId: string, actor: Actor, now: Date): Promise<void> {
  await trx.updateTable('wrap_up').set({ ended_at: now }).where('call_id', '=', call.id).where('agent_id', '=', agentId).execute();
  await cancelTimers(trx, call.id, 'wrap_up_end', agentId);
  await setAgentStatus(trx, changes, agentId, 'available', null, now);
  await recordEvent(trx, eventOf(call, 'wrap_up_ended', actor, now, { agentId }));
}
