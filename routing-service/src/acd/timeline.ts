import type { ActorType, CallEventType } from '@cc/contracts';
import type { Db } from './db.ts';

export interface Actor {
  type: ActorType;
  id: string | null;
}
export const SYSTEM: Actor = { type: 'system', id: null };

/** Appends an event to a conversation's timeline (SPEC §4: every change, with time and actor). */
export async function recordEvent(
  db: Db,
  event: {
    organisationId: string;
    conversationId: string;
    callId: string | null;
    type: CallEventType;
    actor: Actor;
    at: Date;
    data?: Record<string, unknown>;
  },
): Promise<void> {
  await db
    .insertInto('call_event')
    .values({
      organisation_id: event.organisationId,
      conversation_id: event.conversationId,
      call_id: event.callId,
      type: event.type,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      data: JSON.stringify(event.data ?? {}),
      at: event.at,
    })
    .execute();
}
