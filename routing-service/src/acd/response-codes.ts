/**
 * Response codes (SPEC §8): while a call waits in its queue (the announcement invites a key)
 * or while the away message plays outside working hours, a key of the call page's keypad
 * may trigger the action the queue configured for it. `callback` files a callback request
 * (SPEC §10, status `in_queue`) and ends the call: the customer need not wait on the line.
 */
import type { Call, ResponseCodeContext } from '@cc/migrations';
import { invalidTransition } from '../errors.ts';
import { setAgentStatus } from './agent-status.ts';
import { eventOf } from './calls.ts';
import type { Changes } from './changes.ts';
import type { Trx } from './db.ts';
import { closeOffer, lockOpenOffers } from './ringing.ts';
import { recordEvent } from './timeline.ts';
import { cancelTimers } from './timers.ts';

/** Which message a waiting call's keys answer, or null when no key does anything now. */
export function keyContext(call: Pick<Call, 'state' | 'end_reason' | 'transfer_from_agent_id'>): ResponseCodeContext | null {
  if ((call.state !== 'queued' && call.state !== 'ringing') || call.transfer_from_agent_id) return null;
  return call.end_reason === 'outside_hours' ? 'away' : 'announcement';
}

export async function pressKey(trx: Trx, changes: Changes, call: Call, digit: string, now: Date): Promise<void> {
  const context = keyContext(call);
  const code = context
    ? await trx
        .selectFrom('response_code')
        .select('action')
        .where('queue_id', '=', call.queue_id)
        .where('context', '=', context)
        .where('digit', '=', digit)
        .executeTakeFirst()
    : undefined;
  if (!code || !context) throw invalidTransition('That key does nothing now.');
  const identity = await trx
    .selectFrom('conversation')
    .select('customer_identity')
    .where('id', '=', call.conversation_id)
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('callback_request')
    .values({
      organisation_id: call.organisation_id,
      queue_id: call.queue_id,
      conversation_id: call.conversation_id,
      call_id: call.id,
      customer_identity: identity.customer_identity,
    })
    .execute();
  await recordEvent(trx, eventOf(call, 'response_code', { type: 'customer', id: null }, now, { digit, context, action: code.action }));
  // The call ends here: nobody rings for it any more.
  for (const agentId of await lockOpenOffers(trx, call.id)) {
    await closeOffer(trx, call.id, agentId, 'cancelled', now);
    await setAgentStatus(trx, changes, agentId, 'available', null, now);
  }
  for (const kind of ['ring_timeout', 'max_wait', 'waiting_end'] as const) await cancelTimers(trx, call.id, kind);
  await trx
    .updateTable('call')
    .set({ state: 'ended', ended_at: now, end_reason: 'callback_requested' })
    .where('id', '=', call.id)
    .execute();
  await recordEvent(
    trx,
    eventOf(call, 'call_ended', { type: 'customer', id: null }, now, { reason: 'callback_requested', talkSeconds: 0 }),
  );
  changes.calls.add(call.id);
  changes.roomsToClose.set(call.room_id, 'callback_requested');
}
