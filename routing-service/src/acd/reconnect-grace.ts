/**
 * The customer's reconnect grace: a call whose customer is out of touch for the grace period
 * ends. It is one durable timer per call (kind `reconnect_grace`), set when the call starts and
 * pushed forward, for as long as the customer's socket is connected, by the instance holding
 * that socket. So it falls due the same way whether the socket dropped (the instance saw it
 * and stopped pushing) or the instance itself died (nobody pushes any more), and whichever
 * instance is alive fires it.
 *
 * Every write here takes the timer row before the call row, the order the timer loop takes
 * them in (`fireNextDueTimer` then the handler's call lock), so the two cannot deadlock.
 */
import { FINAL_CALL_STATES } from '@cc/contracts';
import { AppError } from '../errors.ts';
import type { Changes } from './changes.ts';
import { constant, type Db } from './db.ts';

/** Default grace, in seconds (the `CUSTOMER_RECONNECT_GRACE_SECONDS` config key). */
export const DEFAULT_RECONNECT_GRACE_SECONDS = 15;

/** Sets the call's grace to fall due at `dueAt`, or later if it already does; creates it if needed. */
export async function holdReconnectGrace(
  db: Db,
  changes: Changes,
  call: { id: string; organisationId: string },
  dueAt: Date,
): Promise<void> {
  await db
    .insertInto('timer')
    .values({ organisation_id: call.organisationId, kind: 'reconnect_grace', subject_id: call.id, agent_id: null, due_at: dueAt })
    .onConflict((oc) =>
      oc
        .column('subject_id')
        // A constant (see db.ts): the arbiter must name the partial unique index under a generic plan.
        .where('kind', '=', constant('reconnect_grace'))
        .doUpdateSet((eb) => ({ due_at: eb.fn('greatest', [eb.ref('timer.due_at'), eb.ref('excluded.due_at')]) })),
    )
    .execute();
  changes.timerScheduled(dueAt);
}

/** Pushes the graces of calls whose customer is connected here to `dueAt` (one statement for all). */
export async function renewReconnectGraces(db: Db, callIds: readonly string[], dueAt: Date): Promise<void> {
  if (callIds.length === 0) return;
  await db
    .updateTable('timer')
    .set((eb) => ({ due_at: eb.fn('greatest', [eb.ref('due_at'), eb.val(dueAt)]) }))
    .where('kind', '=', 'reconnect_grace')
    .where('subject_id', 'in', [...callIds])
    .execute();
}

/**
 * A customer took their call back (a socket resumed it): the grace is theirs again, pushed to
 * `dueAt`. Throws `call_ended` when the call is over, so the resume changes nothing.
 */
export async function takeBackReconnectGrace(db: Db, changes: Changes, callId: string, dueAt: Date): Promise<void> {
  const call = await db.selectFrom('call').select(['organisation_id', 'state']).where('id', '=', callId).executeTakeFirst();
  if (!call || FINAL_CALL_STATES.includes(call.state)) throw callEnded();
  await holdReconnectGrace(db, changes, { id: callId, organisationId: call.organisation_id }, dueAt);
  // Read again once the grace is ours: a grace that fired meanwhile has ended the call.
  const after = await db.selectFrom('call').select('state').where('id', '=', callId).executeTakeFirstOrThrow();
  if (FINAL_CALL_STATES.includes(after.state)) throw callEnded();
}

/**
 * The customer's socket went away: a call still going waits until `dueAt` for them; the grace
 * of a call that is over goes now, rather than firing later for nothing.
 */
export async function releaseReconnectGrace(db: Db, changes: Changes, callId: string, dueAt: Date): Promise<void> {
  const grace = await db
    .selectFrom('timer')
    .select('id')
    .where('kind', '=', 'reconnect_grace')
    .where('subject_id', '=', callId)
    .forUpdate()
    .executeTakeFirst();
  if (!grace) return;
  const call = await db.selectFrom('call').select('state').where('id', '=', callId).executeTakeFirst();
  if (!call || FINAL_CALL_STATES.includes(call.state)) {
    await db.deleteFrom('timer').where('id', '=', grace.id).execute();
    return;
  }
  await db
    .updateTable('timer')
    .set((eb) => ({ due_at: eb.fn('greatest', [eb.ref('due_at'), eb.val(dueAt)]) }))
    .where('id', '=', grace.id)
    .execute();
  changes.timerScheduled(dueAt);
}

const callEnded = () => new AppError('call_ended', 'This call has ended');
