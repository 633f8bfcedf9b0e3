/**
 * What a queued customer hears (SPEC §8), on the engine's side: a call entering its queue gets
 * the queue's waiting program (greeting, music, announcement every N s) and, when the queue
 * has a maximum wait, a durable `max_wait` timer. At the maximum the call stops being offered
 * and its last message plays; a `waiting_end` timer then ends it as `timed_out`. What to play
 * is decided in the transaction and played after commit (`Changes.playbacks`).
 */
import type { Call } from '@cc/migrations';
import { isOpen, type PlaybackProgramInput, type WorkingHoursView } from '@cc/contracts';
import type { Changes } from './changes.ts';
import { eventOf } from './calls.ts';
import type { Db, Trx } from './db.ts';
import { closeOffer, lockOpenOffers } from './ringing.ts';
import { setAgentStatus } from './agent-status.ts';
import { recordEvent, SYSTEM } from './timeline.ts';
import { cancelTimers, scheduleTimer } from './timers.ts';
import { builtInMusicAudio } from '../prompts/prompts.ts';
import { placeAudio, waitingPlaces, type WaitingPlace } from './queue-position.ts';
import { finishVoicemail } from './voicemail.ts';

/** What to play to a call's customer after the commit; `version` orders it among the call's others. */
export type PlaybackIntent = { roomId: string; version: number } & (
  | { kind: 'waiting'; queueId: string; callId: string }
  /** Prompts played once, in order, then silence: the last message, the away message, the voicemail tone. */
  | { kind: 'message'; audioHashes: string[] }
  | { kind: 'stop' }
  /** On hold: the customer is isolated and hears the hold configuration. */
  | { kind: 'hold'; queueId: string }
  /** Back from hold (or a transfer that came back): silence, and the two sides hear each other again. */
  | { kind: 'resume' }
  /** A voicemail begins: the queue's voicemail prompt (if any), then the tone. */
  | { kind: 'voicemail'; promptHash: string | null }
  /** A transfer rings: the customer is not isolated and hears the transfer message and music. */
  | { kind: 'transfer'; organisationId: string }
);

type Intent = PlaybackIntent extends infer I ? (I extends unknown ? Omit<I, 'roomId' | 'version'> : never) : never;

/**
 * Records what the customer should hear after commit, with the call's next playback version
 * (the SFU ignores a request older than one it has seen, whichever instance sent it).
 */
export async function intend(trx: Trx, changes: Changes, call: Pick<Call, 'id' | 'room_id'>, intent: Intent): Promise<void> {
  const { playback_version: version } = await trx
    .updateTable('call')
    .set((eb) => ({ playback_version: eb('playback_version', '+', 1) }))
    .where('id', '=', call.id)
    .returning('playback_version')
    .executeTakeFirstOrThrow();
  intendAt(changes, call, intent, version);
}

/** Records what the customer should hear after commit, with a playback version the caller has taken. */
function intendAt(changes: Changes, call: Pick<Call, 'id' | 'room_id'>, intent: Intent, version: number): void {
  changes.playbacks.set(call.id, { ...intent, roomId: call.room_id, version });
}

/** What a new call needs of the queue it enters, read once at its start (`queueEntry`). */
export interface QueueEntry {
  queueId: string;
  /** The queue's working hours; null: always open. */
  hours:
    | (Pick<WorkingHoursView, 'enabled' | 'timeZone' | 'weekly' | 'exceptions'> & {
        awayMessage: { hash: string; durationMs: number } | null;
      })
    | null;
  /** The maximum wait in seconds; null: no maximum. */
  maxWaitSeconds: number | null;
}

/**
 * The queue a new call enters (`queueId`, or the organisation's Default queue when null), with
 * its working hours and maximum wait, in one statement: a call's start is on every arrival's path.
 */
export async function queueEntry(trx: Trx, organisationId: string, queueId: string | null): Promise<QueueEntry | null> {
  let query = trx
    .selectFrom('queue as q')
    .leftJoin('working_hours as h', 'h.queue_id', 'q.id')
    .leftJoin('prompt as p', 'p.id', 'h.away_message_prompt_id')
    .leftJoin('prompt_audio as a', 'a.hash', 'p.audio_hash')
    .leftJoin('waiting_strategy as w', 'w.queue_id', 'q.id')
    .select([
      'q.id',
      'h.enabled',
      'h.time_zone',
      'h.weekly',
      'h.exceptions',
      'a.hash',
      'a.duration_ms',
      'w.max_wait_enabled',
      'w.max_wait_seconds',
    ])
    .where('q.organisation_id', '=', organisationId);
  query = queueId ? query.where('q.id', '=', queueId) : query.where('q.is_default', '=', true);
  const row = await query.executeTakeFirst();
  if (!row) return null;
  const hours =
    row.enabled === null || row.time_zone === null || row.weekly === null || row.exceptions === null
      ? null
      : { enabled: row.enabled, timeZone: row.time_zone, weekly: row.weekly, exceptions: row.exceptions };
  return {
    queueId: row.id,
    hours: hours && {
      ...hours,
      awayMessage: row.hash !== null && row.duration_ms !== null ? { hash: row.hash, durationMs: row.duration_ms } : null,
    },
    maxWaitSeconds: row.max_wait_enabled && row.max_wait_seconds !== null ? row.max_wait_seconds : null,
  };
}

/** A little silence after the last message before the call ends, so its last word is heard. */
const LAST_MESSAGE_TAIL_MS = 700;

/**
 * A call arrived outside its queue's working hours (SPEC §9): it is not queued for agents;
 * the away message plays and the call then ends (reason `outside_hours`). Returns false when
 * the queue is open.
 */
export async function closedForCall(trx: Trx, changes: Changes, call: Call, entry: QueueEntry, now: Date): Promise<boolean> {
  const { hours } = entry;
  if (!hours || isOpen(hours, now)) return false;
  // With response codes for the away message, the caller has the digit wait after it to press one.
  const codes = await trx
    .selectFrom('response_code')
    .leftJoin('waiting_strategy as w', 'w.queue_id', 'response_code.queue_id')
    .select('w.digit_wait_seconds')
    .where('response_code.queue_id', '=', call.queue_id)
    .where('response_code.context', '=', 'away')
    .executeTakeFirst();
  const digitWaitMs = codes ? (codes.digit_wait_seconds ?? 5) * 1000 : 0;
  const endsAt = new Date(now.getTime() + (hours.awayMessage ? hours.awayMessage.durationMs + LAST_MESSAGE_TAIL_MS : 0) + digitWaitMs);
  // end_reason set now marks the end this call is heading for when `waiting_end` fires.
  await trx.updateTable('call').set({ waiting_ends_at: endsAt, end_reason: 'outside_hours' }).where('id', '=', call.id).execute();
  await recordEvent(trx, eventOf(call, 'outside_hours', SYSTEM, now, { timeZone: hours.timeZone }));
  if (hours.awayMessage) intendAt(changes, call, { kind: 'message', audioHashes: [hours.awayMessage.hash] }, call.playback_version);
  await scheduleTimer(trx, changes, {
    organisationId: call.organisation_id,
    kind: 'waiting_end',
    subjectId: call.id,
    agentId: null,
    dueAt: endsAt,
  });
  changes.calls.add(call.id);
  return true;
}

/** A call entered its queue: its program plays after commit, and its maximum wait is armed. */
export async function startWaiting(
  trx: Trx,
  changes: Changes,
  call: Pick<Call, 'id' | 'organisation_id' | 'queue_id' | 'queued_at' | 'room_id' | 'playback_version'>,
  entry: QueueEntry,
): Promise<void> {
  if (entry.maxWaitSeconds !== null) {
    await scheduleTimer(trx, changes, {
      organisationId: call.organisation_id,
      kind: 'max_wait',
      subjectId: call.id,
      agentId: null,
      dueAt: new Date(call.queued_at.getTime() + entry.maxWaitSeconds * 1000),
    });
  }
  // A new call: its first version needs no update.
  intendAt(changes, call, { kind: 'waiting', queueId: call.queue_id, callId: call.id }, call.playback_version);
}

/**
 * The call was answered: the waiting is over, and the waiting program stops. `version` is the
 * call's next playback version, taken by the answer's update of the call (which also drops its
 * ring time-outs and maximum wait).
 */
export function stopWaiting(changes: Changes, call: Pick<Call, 'id' | 'room_id'>, version: number): void {
  intendAt(changes, call, { kind: 'stop' }, version);
}

/**
 * The maximum wait is reached: no agent rings any more, the last message plays (when the
 * queue has one) and the call ends as `timed_out` when it has played.
 */
export async function maxWaitReached(trx: Trx, changes: Changes, call: Call, now: Date): Promise<void> {
  if ((call.state !== 'queued' && call.state !== 'ringing') || call.waiting_ends_at) return;
  await cancelTimers(trx, call.id, 'ring_timeout');
  for (const agentId of await lockOpenOffers(trx, call.id)) {
    await closeOffer(trx, call.id, agentId, 'cancelled', now);
    await setAgentStatus(trx, changes, agentId, 'available', null, now);
  }
  const last = await trx
    .selectFrom('waiting_strategy as w')
    .innerJoin('prompt as p', 'p.id', 'w.last_message_prompt_id')
    .innerJoin('prompt_audio as a', 'a.hash', 'p.audio_hash')
    .select(['a.hash', 'a.duration_ms'])
    .where('w.queue_id', '=', call.queue_id)
    .executeTakeFirst();
  const endsAt = new Date(now.getTime() + (last ? last.duration_ms + LAST_MESSAGE_TAIL_MS : 0));
  await trx.updateTable('call').set({ state: 'queued', waiting_ends_at: endsAt }).where('id', '=', call.id).execute();
  await recordEvent(
    trx,
    eventOf(call, 'max_wait_reached', SYSTEM, now, { waitedSeconds: (now.getTime() - call.queued_at.getTime()) / 1000 }),
  );
  await intend(trx, changes, call, last ? { kind: 'message', audioHashes: [last.hash] } : { kind: 'stop' });
  await scheduleTimer(trx, changes, {
    organisationId: call.organisation_id,
    kind: 'waiting_end',
    subjectId: call.id,
    agentId: null,
    dueAt: endsAt,
  });
  changes.calls.add(call.id);
}

/**
 * The last message (or the away message) has played: the call ends as `timed_out` (or `ended`,
 * outside hours). For a voicemail, the longest message was reached.
 */
export async function waitingEnded(trx: Trx, changes: Changes, call: Call, now: Date): Promise<void> {
  if (call.state !== 'queued' || !call.waiting_ends_at) return;
  if (call.end_reason === 'voicemail') {
    // The longest message was reached.
    await finishVoicemail(trx, changes, call, SYSTEM, now);
    return;
  }
  if (call.end_reason === 'outside_hours') {
    await trx.updateTable('call').set({ state: 'ended', ended_at: now }).where('id', '=', call.id).execute();
    await recordEvent(trx, eventOf(call, 'call_ended', SYSTEM, now, { reason: 'outside_hours', talkSeconds: 0 }));
  } else {
    await trx.updateTable('call').set({ state: 'timed_out', ended_at: now, end_reason: 'max_wait' }).where('id', '=', call.id).execute();
    await recordEvent(
      trx,
      eventOf(call, 'call_timed_out', SYSTEM, now, { waitedSeconds: (now.getTime() - call.queued_at.getTime()) / 1000 }),
    );
  }
  changes.calls.add(call.id);
  changes.roomsToClose.set(call.room_id, call.end_reason === 'outside_hours' ? 'outside_hours' : 'timed_out');
}

/**
 * The queue's waiting program as the SFU takes it: prompt ids resolved to audio hashes. With
 * the caller's `place` (and an announcement that says it), the spoken place follows the
 * announcement.
 */
export async function waitingProgram(
  db: Db,
  queueId: string,
  of?: Pick<WaitingPlace, 'organisationId' | 'sentence'> | { callId: string },
): Promise<PlaybackProgramInput> {
  const strategy = await db.selectFrom('waiting_strategy').selectAll().where('queue_id', '=', queueId).executeTakeFirst();
  // The caller's place is looked up only when the announcement says it.
  let place: Pick<WaitingPlace, 'organisationId' | 'sentence'> | undefined;
  if (of && 'callId' in of) {
    const says = strategy?.announcement_enabled && (strategy.announce_position || strategy.announce_estimated_wait);
    place = says ? (await waitingPlaces(db, [of.callId]))[0] : undefined;
  } else place = of;
  const audioOf = async (promptId: string | null) =>
    promptId
      ? ((await db.selectFrom('prompt').select('audio_hash').where('id', '=', promptId).executeTakeFirst())?.audio_hash ?? null)
      : null;
  const greeting = strategy?.greeting_enabled ? await audioOf(strategy.greeting_prompt_id) : null;
  const musicOn = strategy?.music_enabled ?? true;
  const music = musicOn ? ((await audioOf(strategy?.music_prompt_id ?? null)) ?? (await builtInMusicAudio(db))) : null;
  const announcement = strategy?.announcement_enabled ? await audioOf(strategy.announcement_prompt_id) : null;
  const spoken = announcement && place?.sentence ? await placeAudio(db, place.organisationId, queueId, place.sentence) : null;
  return {
    intro: greeting ? [greeting] : [],
    loop: music,
    interrupt:
      announcement && strategy
        ? {
            everySeconds: strategy.announcement_every_seconds,
            prompts: [announcement, ...(spoken ? [spoken] : [])],
          }
        : null,
  };
}
