/**
 * Response codes (SPEC §8): while a call waits in its queue (the announcement invites a key)
 * or while the away message plays outside working hours, a key of the call page's keypad
 * may trigger the action the queue configured for it. `callback` files a callback request
 * (SPEC §10, status `in_queue`) and ends the call: the customer need not wait on the line.
 * `voicemail` lets the customer leave a message, which lands in the callback list (SPEC §9).
 */
import type { Call, ResponseCodeContext } from '@cc/migrations';
import { assertUnreachable } from '@cc/contracts';
import { invalidTransition } from '../errors.ts';
import { fileCallbackRequest } from './callback-requests.ts';
import { eventOf } from './calls.ts';
import type { Changes } from './changes.ts';
import type { Trx } from './db.ts';
import { stopOffering } from './ringing.ts';
import { recordEvent } from './timeline.ts';
import { startVoicemail } from './voicemail.ts';

/** Which message a waiting call's keys answer, or null when no key does anything now. */
export function keyContext(call: Pick<Call, 'state' | 'end_reason' | 'transfer_from_agent_id'>): ResponseCodeContext | null {
  if ((call.state !== 'queued' && call.state !== 'ringing') || call.transfer_from_agent_id) return null;
  if (call.end_reason === 'voicemail') return null; // leaving a message: keys are part of it
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
  await recordEvent(trx, eventOf(call, 'response_code', { type: 'customer', id: null }, now, { digit, context, action: code.action }));
  switch (code.action) {
    case 'callback':
      await requestCallback(trx, changes, call, now);
      return;
    case 'voicemail':
      await startVoicemail(trx, changes, call, { digit, context }, now);
      return;
    default:
      assertUnreachable(code.action);
  }
}

/** The caller asked to be called back: the request is filed and the call ends here. */
async function requestCallback(trx: Trx, changes: Changes, call: Call, now: Date): Promise<void> {
  await fileCallbackRequest(trx, call, null);
  await stopOffering(trx, changes, call, now);
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
