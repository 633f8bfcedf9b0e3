import type { ActorType, CallEventType } from '@cc/contracts';
import type { Insertable } from 'kysely';
import type { CallEventTable } from '@cc/migrations';
import type { Db } from './db.ts';

export interface Actor {
  type: ActorType;
  id: string | null;
}
export const SYSTEM: Actor = { type: 'system', id: null };

export interface TimelineEvent {
  organisationId: string;
  conversationId: string;
  callId: string | null;
  type: CallEventType;
  actor: Actor;
  at: Date;
  data?: Record<string, unknown>;
}

/** An event as a `call_event` row, for a statement that appends it beside other writes. */
export function eventRow(event: TimelineEvent): Insertable<CallEventTable> {
  return {
    organisation_id: event.organisationId,
    conversation_id: event.conversationId,
    call_id: event.callId,
    type: event.type,
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    data: JSON.stringify(event.data ?? {}),
    at: event.at,
  };
}

/** Appends an event to a conversation's timeline (SPEC §4: every change, with time and actor). */
export async function recordEvent(db: Db, event: TimelineEvent): Promise<void> {
  await db.insertInto('call_event').values(eventRow(event)).execute();
}
