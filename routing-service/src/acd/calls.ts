/** Small helpers every part of a call's life uses: the locked call row and its timeline events. */
import type { Call } from '@cc/migrations';
import { AppError } from '../errors.ts';
import type { Trx } from './db.ts';
import type { Actor, TimelineEvent } from './timeline.ts';

export function eventOf(call: Call, type: TimelineEvent['type'], actor: Actor, at: Date, data?: Record<string, unknown>): TimelineEvent {
  return {
    organisationId: call.organisation_id,
    conversationId: call.conversation_id,
    callId: call.id,
    type,
    actor,
    at,
    ...(data ? { data } : {}),
  };
}

export async function lockCall(trx: Trx, callId: string): Promise<Call> {
  const call = await trx.selectFrom('call').selectAll().where('id', '=', callId).forUpdate().executeTakeFirst();
  if (!call) throw new AppError('not_found', 'Call not found');
  return call;
}
