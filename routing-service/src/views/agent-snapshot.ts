/** Builds what the agent desktop renders, and what the customer page shows, from the database. */
import type { AgentCallView, AgentSnapshot, CustomerCallView, WrapUpView } from '@cc/contracts';
import { sql } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { constant, type Db } from '../acd/db.ts';
import { waitingPlaces } from '../acd/queue-position.ts';
import { keyContext } from '../acd/response-codes.ts';
import { leavingVoicemail } from '../acd/voicemail.ts';
import { identifyCaller } from '../acd/callers.ts';

/**
 * What one agent's desktop shows. One query (plus one contact lookup when the caller's
 * identity is a number or an e-mail): a snapshot is read after every change to the agent.
 */
export async function agentSnapshot(db: Db, agentId: string): Promise<AgentSnapshot | null> {
  const agent = await db
    .selectFrom('agent as a')
    .innerJoin('user_account as u', 'u.id', 'a.user_id')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id')
    .select((eb) => [
      'a.user_id',
      'u.name',
      'a.status',
      'a.status_reason',
      'a.status_since',
      'a.organisation_id',
      jsonArrayFrom(
        eb
          .selectFrom('queue_member as m')
          .innerJoin('queue as q', 'q.id', 'm.queue_id')
          .select(['q.id', 'q.name', 'm.priority'])
          .whereRef('m.agent_id', '=', 'a.user_id')
          .orderBy('q.name'),
      ).as('queues'),
      // The agent's call: the one in progress with them, or one ringing them (an open offer).
      jsonObjectFrom(
        eb
          .selectFrom('call as c')
          .innerJoin('conversation as v', 'v.id', 'c.conversation_id')
          .innerJoin('queue as q', 'q.id', 'c.queue_id')
          .select([
            'c.id',
            'c.conversation_id',
            'c.state',
            'c.kind',
            'c.media',
            'c.queue_id',
            'q.name as queue_name',
            'v.customer_identity',
            'c.ring_started_at',
            // When this agent's ring ends: their ring time-out, set when the ring started (a
            // later change of the organisation's setting does not move it).
            (s) =>
              s
                .selectFrom('timer as t')
                .select('t.due_at')
                .whereRef('t.subject_id', '=', 'c.id')
                .where('t.kind', '=', 'ring_timeout')
                .where('t.agent_id', '=', agentId)
                .limit(1)
                .as('ring_ends_at'),
            'c.answered_at',
          ])
          .where((w) =>
            w.or([
              w.and([w('c.agent_id', '=', agentId), w('c.state', 'in', [constant('connected'), constant('on_hold')])]),
              w.and([
                w('c.state', '=', constant('ringing')),
                w.exists(
                  w
                    .selectFrom('call_offer as o')
                    .select('o.id')
                    .whereRef('o.call_id', '=', 'c.id')
                    .where('o.agent_id', '=', agentId)
                    .where('o.outcome', 'is', null),
                ),
              ]),
            ]),
          )
          .orderBy('c.queued_at', 'desc')
          .limit(1),
      ).as('call'),
      jsonObjectFrom(
        eb
          .selectFrom('wrap_up as w')
          .innerJoin('call as c', 'c.id', 'w.call_id')
          .innerJoin('conversation as v', 'v.id', 'c.conversation_id')
          .select(['w.call_id', 'w.started_at', 'w.ends_at', 'c.conversation_id', 'v.notes', 'v.status', 'v.rating', 'v.customer_identity'])
          .whereRef('w.agent_id', '=', 'a.user_id')
          .where('w.ended_at', 'is', null)
          .limit(1),
      ).as('wrap'),
    ])
    .where('a.user_id', '=', agentId)
    .executeTakeFirst();
  if (!agent) return null;
  // Dates inside JSON arrive as strings.
  const iso = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());
  const callerOf = async (identity: string) => {
    const { contactId: _ignored, ...caller } = await identifyCaller(db, agent.organisation_id, identity);
    return caller;
  };
  const { call, wrap } = agent;
  let callView: AgentCallView | null = null;
  if (call) {
    const ringStartedAt = call.state === 'ringing' ? iso(call.ring_started_at) : null;
    callView = {
      callId: call.id,
      conversationId: call.conversation_id,
      state: call.state,
      kind: call.kind,
      media: call.media,
      queueId: call.queue_id,
      queueName: call.queue_name,
      caller: await callerOf(call.customer_identity),
      ringStartedAt,
      ringEndsAt: ringStartedAt ? iso(call.ring_ends_at) : null,
      answeredAt: iso(call.answered_at),
    };
  }
  let wrapUp: WrapUpView | null = null;
  if (wrap) {
    wrapUp = {
      callId: wrap.call_id,
      conversationId: wrap.conversation_id,
      startedAt: iso(wrap.started_at) ?? '',
      endsAt: iso(wrap.ends_at) ?? '',
      notes: wrap.notes,
      conversationStatus: wrap.status,
      rating: wrap.rating,
      caller: call?.customer_identity === wrap.customer_identity && callView ? callView.caller : await callerOf(wrap.customer_identity),
    };
  }
  return {
    agentId: agent.user_id,
    name: agent.name,
    status: agent.status,
    statusReason: agent.status_reason,
    statusSince: agent.status_since.toISOString(),
    queues: agent.queues.map((q) => ({ id: q.id, name: q.name, priority: q.priority })),
    call: callView,
    wrapUp,
  };
}

/** The end reasons the customer's page explains. */
const CUSTOMER_END_REASONS = new Set<string | null>(['outside_hours', 'max_wait', 'callback_requested', 'voicemail']);
const toldCustomer = (reason: string | null): reason is NonNullable<CustomerCallView['endReason']> => CUSTOMER_END_REASONS.has(reason);

/**
 * What the customer's page shows of their call. `place`: also their position and estimated
 * wait while waiting (a query over the queue, so only for replies and the periodic place
 * updates; other pushes leave them null and the page keeps what it had).
 */
export async function customerCallView(db: Db, callId: string, options: { place?: boolean } = {}): Promise<CustomerCallView | null> {
  const row = await db
    .selectFrom('call as c')
    .leftJoin('user_account as u', 'u.id', 'c.agent_id')
    .select([
      'c.id',
      'c.state',
      'c.media',
      'u.name as agent_name',
      'c.transfer_from_agent_id',
      'c.end_reason',
      'c.queue_id',
      'c.waiting_ends_at',
      // The keys of the message the call is waiting in, in the same round trip.
      sql<string[]>`array(select r.digit from response_code r where r.queue_id = c.queue_id
        and r.context = case when c.end_reason = 'outside_hours' then 'away' else 'announcement' end order by r.digit)`.as('keys'),
    ])
    .where('c.id', '=', callId)
    .executeTakeFirst();
  if (!row) return null;
  const firstName = row.agent_name?.split(/\s+/)[0] ?? null;
  const [place] = options.place && (row.state === 'queued' || row.state === 'ringing') ? await waitingPlaces(db, [row.id]) : [];
  return {
    position: place?.position ?? null,
    estimatedWaitSeconds: place?.estimatedWaitSeconds ?? null,
    callId: row.id,
    state: row.state,
    media: row.media,
    agentName: row.state === 'connected' || row.state === 'on_hold' ? firstName : null,
    transferring: row.transfer_from_agent_id !== null,
    endReason: toldCustomer(row.end_reason) ? row.end_reason : null,
    voicemailEndsAt: leavingVoicemail(row) ? (row.waiting_ends_at?.toISOString() ?? null) : null,
    keys: keyContext(row) ? row.keys : [],
  };
}
