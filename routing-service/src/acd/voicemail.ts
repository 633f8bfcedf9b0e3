/**
 * Voicemail (SPEC §9): a response code lets a caller leave a message instead of waiting, or
 * when the center is closed. The call leaves its queue (nobody rings for it any more), the
 * queue's voicemail prompt and the tone play, and the customer's leg is recorded (a recording
 * session of kind `voicemail`, without an agent) until they hang up or the longest message is
 * reached. The callback request that points at the session is filed at once, in the same
 * transaction, so the caller lands in the callback list even if the recording fails.
 */
import { randomUUID } from 'node:crypto';
import type { Call, ResponseCodeContext } from '@cc/migrations';
import { eventOf } from './calls.ts';
import type { Changes } from './changes.ts';
import type { Trx } from './db.ts';
import { fileCallbackRequest } from './callback-requests.ts';
import { abandon, stopOffering } from './ringing.ts';
import { recordEvent, type Actor } from './timeline.ts';
import { cancelTimers, scheduleTimer } from './timers.ts';
import { intend } from './waiting.ts';

/** The built-in tone's length (half a second of tone, half a second of silence). */
export const VOICEMAIL_TONE_MS = 1000;

/** The caller pressed the voicemail key: from now on the call is a message being left. */
export async function startVoicemail(
  trx: Trx,
  changes: Changes,
  call: Call,
  key: { digit: string; context: ResponseCodeContext },
  now: Date,
): Promise<void> {
  await stopOffering(trx, changes, call, now);
  const strategy = await trx
    .selectFrom('waiting_strategy as w')
    .leftJoin('prompt as p', 'p.id', 'w.voicemail_prompt_id')
    .leftJoin('prompt_audio as a', 'a.hash', 'p.audio_hash')
    .select(['w.voicemail_max_seconds', 'a.hash', 'a.duration_ms'])
    .where('w.queue_id', '=', call.queue_id)
    .executeTakeFirst();
  const maxSeconds = strategy?.voicemail_max_seconds ?? 120;
  const promptMs = strategy?.hash ? (strategy.duration_ms ?? 0) : 0;
  const endsAt = new Date(now.getTime() + promptMs + VOICEMAIL_TONE_MS + maxSeconds * 1000);
  // Still `queued` (the caller is on the line), but out of the queue: waiting_ends_at keeps it
  // away from assignment and the place count, and end_reason says how the call will end.
  await trx
    .updateTable('call')
    .set({ state: 'queued', agent_id: null, ring_started_at: null, waiting_ends_at: endsAt, end_reason: 'voicemail' })
    .where('id', '=', call.id)
    .execute();
  const sessionId = randomUUID();
  await trx
    .insertInto('recording_session')
    .values({
      id: sessionId,
      organisation_id: call.organisation_id,
      call_id: call.id,
      agent_id: null,
      kind: 'voicemail',
      state: 'recording',
      started_at: now,
    })
    .execute();
  await fileCallbackRequest(trx, call, sessionId);
  await recordEvent(
    trx,
    eventOf(call, 'voicemail_started', { type: 'customer', id: null }, now, { ...key, maxSeconds, endsAt: endsAt.toISOString() }),
  );
  await intend(trx, changes, call, { kind: 'voicemail', promptHash: strategy?.hash ?? null });
  await scheduleTimer(trx, changes, {
    organisationId: call.organisation_id,
    kind: 'waiting_end',
    subjectId: call.id,
    agentId: null,
    dueAt: endsAt,
  });
  changes.voicemails.add(call.id);
  changes.calls.add(call.id);
  changes.queues.add(call.queue_id);
}

/** Whether the call is a voicemail being left (it ends as a message, not as an abandoned call). */
export const leavingVoicemail = (call: Pick<Call, 'state' | 'end_reason'>): boolean =>
  call.state === 'queued' && call.end_reason === 'voicemail';

/**
 * The customer left a call that no agent had answered (hung up, or their connection never came
 * back): a voicemail being left is complete; any other call is abandoned.
 */
export async function customerLeftWaiting(trx: Trx, changes: Changes, call: Call, actor: Actor, now: Date): Promise<void> {
  if (leavingVoicemail(call)) await finishVoicemail(trx, changes, call, actor, now);
  else await abandon(trx, changes, call, now);
}

/** The caller hung up (or went away), or the longest message was reached: the message is complete. */
export async function finishVoicemail(trx: Trx, changes: Changes, call: Call, actor: Actor, now: Date): Promise<void> {
  await cancelTimers(trx, call.id, 'waiting_end');
  await trx.updateTable('call').set({ state: 'ended', ended_at: now }).where('id', '=', call.id).execute();
  await recordEvent(trx, eventOf(call, 'call_ended', actor, now, { reason: 'voicemail', talkSeconds: 0 }));
  changes.calls.add(call.id);
  changes.roomsToClose.set(call.room_id, 'voicemail');
}
