/**
 * Blind transfer (SPEC §6). The agent hands the call to an agent of the same queue or to
 * another queue with automatic assignment, and leaves at once (wrap-up). The call waits as a
 * `transfer` call, ringing only the chosen agent (or the queue's next agent) with the ring
 * time-out; the customer hears the organisation's transfer message and music meanwhile. If
 * the ring ends without an answer (declined, timed out) the call comes back to the agent who
 * transferred it, who is told so; if that agent has left their wrap-up, it goes back to its
 * queue instead.
 */
import type { CallTransferRequest, PlaybackProgramInput, TransferTargets } from '@cc/contracts';
import type { Call } from '@cc/migrations';
import { builtInMusicAudio } from '../prompts/prompts.ts';
import { AppError, invalidTransition } from '../errors.ts';
import { setAgentStatus } from './agent-status.ts';
import { agentIsEligible, queueHasEligibleAgent } from './assignment.ts';
import { eventOf } from './calls.ts';
import type { Changes } from './changes.ts';
import type { Db, Trx } from './db.ts';
import { recordEvent, SYSTEM } from './timeline.ts';
import { cancelTimers } from './timers.ts';
import { intend } from './waiting.ts';
import { startWrapUp } from './wrap-up.ts';

function assertInCallWith(call: Call, agentId: string): void {
  if (call.agent_id !== agentId || (call.state !== 'connected' && call.state !== 'on_hold')) {
    throw invalidTransition('This call is not in progress with you');
  }
}

/** The call's queue members (available first, then by name) and the organisation's other queues with AAA on. */
export async function transferTargets(db: Db, call: Call, agentId: string): Promise<TransferTargets> {
  assertInCallWith(call, agentId);
  const agents = await db
    .selectFrom('queue_member as m')
    .innerJoin('agent as a', 'a.user_id', 'm.agent_id')
    .innerJoin('user_account as u', 'u.id', 'a.user_id')
    .select(['a.user_id', 'u.name', 'a.status'])
    .where('m.queue_id', '=', call.queue_id)
    .where('a.user_id', '<>', agentId)
    .execute();
  const queues = await db
    .selectFrom('queue')
    .select(['id', 'name'])
    .where('organisation_id', '=', call.organisation_id)
    .where('aaa_enabled', '=', true)
    .where('id', '<>', call.queue_id)
    .orderBy('name')
    .execute();
  return {
    agents: agents
      .map((a) => ({ agentId: a.user_id, name: a.name, status: a.status }))
      .sort((x, y) => Number(y.status === 'available') - Number(x.status === 'available') || x.name.localeCompare(y.name)),
    queues: queues.map((q) => ({ queueId: q.id, name: q.name })),
  };
}

/** Hands the call over; refused (nothing changes) when the target cannot take a call now. */
export async function transfer(
  trx: Trx,
  changes: Changes,
  call: Call,
  agentId: string,
  to: CallTransferRequest['to'],
  now: Date,
): Promise<void> {
  assertInCallWith(call, agentId);
  let queueId = call.queue_id;
  let targetAgentId: string | null = null;
  if ('agentId' in to) {
    const target = await trx
      .selectFrom('queue_member as m')
      .innerJoin('user_account as u', 'u.id', 'm.agent_id')
      .select('u.name')
      .where('m.queue_id', '=', call.queue_id)
      .where('m.agent_id', '=', to.agentId)
      .executeTakeFirst();
    if (!target || to.agentId === agentId) throw new AppError('bad_request', 'Choose an agent of this call’s queue.');
    if (!(await agentIsEligible(trx, call.queue_id, to.agentId)))
      throw new AppError('conflict', `${target.name} cannot take a call right now.`);
    targetAgentId = to.agentId;
  } else {
    const queue = await trx
      .selectFrom('queue')
      .select(['name', 'aaa_enabled'])
      .where('id', '=', to.queueId)
      .where('organisation_id', '=', call.organisation_id)
      .executeTakeFirst();
    if (!queue || to.queueId === call.queue_id) throw new AppError('bad_request', 'Choose another queue of your organisation.');
    if (!queue.aaa_enabled)
      throw new AppError('bad_request', `Calls cannot be transferred to ${queue.name}: it has no automatic agent assignment.`);
    if (!(await queueHasEligibleAgent(trx, to.queueId)))
      throw new AppError('conflict', `Nobody in ${queue.name} can take a call right now.`);
    queueId = to.queueId;
  }
  await trx
    .updateTable('call')
    .set({
      state: 'queued',
      kind: 'transfer',
      agent_id: null,
      ring_started_at: null,
      queue_id: queueId,
      target_agent_id: targetAgentId,
      transfer_from_agent_id: agentId,
      transfer_from_queue_id: call.queue_id,
    })
    .where('id', '=', call.id)
    .execute();
  await recordEvent(
    trx,
    eventOf(
      call,
      'call_transferred',
      { type: 'agent', id: agentId },
      now,
      targetAgentId ? { toAgentId: targetAgentId } : { toQueueId: queueId },
    ),
  );
  await startWrapUp(trx, changes, call, agentId, now);
  await intend(trx, changes, call, { kind: 'transfer', organisationId: call.organisation_id });
  // The first agent's segment is over: its recording is filed; the next answer starts another.
  changes.segmentsEnded.add(call.id);
  changes.calls.add(call.id);
  changes.agents.add(agentId);
  changes.queues.add(queueId);
}

/**
 * The transfer's ring ended without an answer: the call comes back to the agent who
 * transferred it when they are still in its wrap-up, or goes back to its first queue.
 */
export async function returnTransfer(trx: Trx, changes: Changes, call: Call, outcome: 'declined' | 'timed_out', now: Date): Promise<void> {
  const from = call.transfer_from_agent_id;
  const fromQueue = call.transfer_from_queue_id ?? call.queue_id;
  const target = call.target_agent_id;
  const back = {
    queue_id: fromQueue,
    target_agent_id: null,
    transfer_from_agent_id: null,
    transfer_from_queue_id: null,
    ring_started_at: null,
  };
  await cancelTimers(trx, call.id, 'ring_timeout');
  const wrapping = from
    ? await trx
        .selectFrom('wrap_up')
        .select('call_id')
        .where('call_id', '=', call.id)
        .where('agent_id', '=', from)
        .where('ended_at', 'is', null)
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  await recordEvent(trx, eventOf(call, 'transfer_failed', SYSTEM, now, { outcome, agentId: target, backTo: wrapping ? from : null }));
  changes.calls.add(call.id);
  if (!from || !wrapping) {
    // The agent who transferred has moved on: the call waits in its first queue like any other.
    await trx
      .updateTable('call')
      .set({ ...back, state: 'queued', agent_id: null })
      .where('id', '=', call.id)
      .execute();
    changes.queues.add(fromQueue);
    return;
  }
  await trx.updateTable('wrap_up').set({ ended_at: now }).where('call_id', '=', call.id).where('agent_id', '=', from).execute();
  await cancelTimers(trx, call.id, 'wrap_up_end', from);
  await trx
    .updateTable('call')
    .set({ ...back, state: 'connected', agent_id: from })
    .where('id', '=', call.id)
    .execute();
  await setAgentStatus(trx, changes, from, 'on_call', null, now);
  await intend(trx, changes, call, { kind: 'resume' });
  changes.segmentsStarted.add(call.id);
  const why = outcome === 'declined' ? 'was declined' : 'was not answered';
  changes.notices.push({ agentId: from, notice: { level: 'warning', message: `The transfer ${why}. The call is back with you.` } });
}

/** What the customer hears while a transfer rings: the organisation's transfer message once, then its music. */
export async function transferProgram(db: Db, organisationId: string): Promise<PlaybackProgramInput> {
  const org = await db
    .selectFrom('organisation as o')
    .leftJoin('prompt as music', 'music.id', 'o.transfer_music_prompt_id')
    .leftJoin('prompt as message', 'message.id', 'o.transfer_message_prompt_id')
    .select(['music.audio_hash as music', 'message.audio_hash as message'])
    .where('o.id', '=', organisationId)
    .executeTakeFirst();
  return { intro: org?.message ? [org.message] : [], loop: org?.music ?? (await builtInMusicAudio(db)), interrupt: null };
}
