/**
 * What each durable timer does when it falls due (SPEC §2, §3, §7, §8): a ring that timed
 * out moves on (and may set the agent away), a wrap-up ends, a customer out of touch has left,
 * a call reached its maximum wait, its last message has played. Runs inside the transaction
 * that took the timer, so it happens once whichever instance fired it.
 */
import type { Timer } from '@cc/migrations';
import { setAgentStatus } from './agent-status.ts';
import { eventOf, lockCall } from './calls.ts';
import type { Changes } from './changes.ts';
import type { Trx } from './db.ts';
import { lockOpenOffers, stopRinging } from './ringing.ts';
import { recordEvent, SYSTEM } from './timeline.ts';
import { maxWaitReached, waitingEnded } from './waiting.ts';
import { customerLeftWaiting } from './voicemail.ts';
import { endConnectedCall, finishWrapUp } from './wrap-up.ts';

export async function handleTimer(trx: Trx, changes: Changes, timer: Timer, now: Date): Promise<void> {
  switch (timer.kind) {
    case 'ring_timeout': {
      const call = await lockCall(trx, timer.subject_id);
      const ringing = await lockOpenOffers(trx, call.id);
      if (call.state !== 'ringing' || !timer.agent_id || !ringing.includes(timer.agent_id)) return;
      const queue = await trx.selectFrom('queue').select(['missed_call_away']).where('id', '=', call.queue_id).executeTakeFirstOrThrow();
      await stopRinging(trx, changes, call, timer.agent_id, ringing, 'timed_out', now);
      if (queue.missed_call_away) {
        await setAgentStatus(trx, changes, timer.agent_id, 'away', 'missed call', now);
        changes.notices.push({
          agentId: timer.agent_id,
          notice: { level: 'warning', message: 'You missed a call, so your status is now Away. Set Available when you are back.' },
        });
      } else {
        await setAgentStatus(trx, changes, timer.agent_id, 'available', null, now);
      }
      await recordEvent(trx, eventOf(call, 'ring_timed_out', SYSTEM, now, { agentId: timer.agent_id }));
      return;
    }
    case 'wrap_up_end': {
      if (!timer.agent_id) return;
      const open = await trx
        .selectFrom('wrap_up')
        .select('call_id')
        .where('call_id', '=', timer.subject_id)
        .where('agent_id', '=', timer.agent_id)
        .where('ended_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      if (!open) return;
      const call = await lockCall(trx, timer.subject_id);
      await finishWrapUp(trx, changes, call, timer.agent_id, SYSTEM, now);
      return;
    }
    case 'reconnect_grace':
      await customerGone(trx, changes, timer.subject_id, now);
      return;
    case 'max_wait':
      await maxWaitReached(trx, changes, await lockCall(trx, timer.subject_id), now);
      return;
    case 'waiting_end':
      await waitingEnded(trx, changes, await lockCall(trx, timer.subject_id), now);
      return;
  }
}

/** The reconnect grace ran out: the customer is not coming back, so the call ends as if they had left. */
async function customerGone(trx: Trx, changes: Changes, callId: string, now: Date): Promise<void> {
  const call = await trx.selectFrom('call').selectAll().where('id', '=', callId).forUpdate().executeTakeFirst();
  switch (call?.state) {
    case 'queued':
    case 'ringing':
      await customerLeftWaiting(trx, changes, call, SYSTEM, now);
      return;
    case 'connected':
    case 'on_hold':
      await endConnectedCall(trx, changes, call, 'customer_lost', SYSTEM, now);
      return;
    default:
      return; // over already, or gone
  }
}
