/** Builds what the agent desktop renders, and what the customer page shows, from the database. */
import type { AgentCallView, AgentSnapshot, CustomerCallView, WrapUpView } from '@cc/contracts';
import type { Call } from '@cc/migrations';
import type { Db } from '../acd/db.ts';
import { identifyCaller } from '../acd/callers.ts';

export async function agentSnapshot(db: Db, agentId: string): Promise<AgentSnapshot | null> {
  const agent = await db
    .selectFrom('agent as a')
    .innerJoin('user_account as u', 'u.id', 'a.user_id')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id')
    .select(['a.user_id', 'u.name', 'a.status', 'a.status_reason', 'a.status_since', 'a.organisation_id', 'o.ring_timeout_seconds'])
    .where('a.user_id', '=', agentId)
    .executeTakeFirst();
  if (!agent) return null;
  const queues = await db
    .selectFrom('queue_member as m')
    .innerJoin('queue as q', 'q.id', 'm.queue_id')
    .select(['q.id', 'q.name', 'm.priority'])
    .where('m.agent_id', '=', agentId)
    .orderBy('q.name')
    .execute();
  // The agent's call: the one in progress with them, or one ringing them (an open offer).
  const call = await db
    .selectFrom('call as c')
    .selectAll('c')
    .where((eb) =>
      eb.or([
        eb.and([eb('c.agent_id', '=', agentId), eb('c.state', 'in', ['connected', 'on_hold'])]),
        eb.and([
          eb('c.state', '=', 'ringing'),
          eb.exists(
            eb
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
    .executeTakeFirst();
  const wrap = await db
    .selectFrom('wrap_up as w')
    .innerJoin('call as c', 'c.id', 'w.call_id')
    .innerJoin('conversation as v', 'v.id', 'c.conversation_id')
    .select([
      'w.call_id',
      'w.started_at',
      'w.ends_at',
      'c.conversation_id',
      'v.notes',
      'v.status',
      'v.rating',
      'v.customer_identity',
      'c.organisation_id',
    ])
    .where('w.agent_id', '=', agentId)
    .where('w.ended_at', 'is', null)
    .executeTakeFirst();
  let wrapUp: WrapUpView | null = null;
  if (wrap) {
    const { contactId: _ignored, ...caller } = await identifyCaller(db, wrap.organisation_id, wrap.customer_identity);
    wrapUp = {
      callId: wrap.call_id,
      conversationId: wrap.conversation_id,
      startedAt: wrap.started_at.toISOString(),
      endsAt: wrap.ends_at.toISOString(),
      notes: wrap.notes,
      conversationStatus: wrap.status,
      rating: wrap.rating,
      caller,
    };
  }
  return {
    agentId: agent.user_id,
    name: agent.name,
    status: agent.status,
    statusReason: agent.status_reason,
    statusSince: agent.status_since.toISOString(),
    queues: queues.map((q) => ({ id: q.id, name: q.name, priority: q.priority })),
    call: call ? await agentCallView(db, call, agent.ring_timeout_seconds) : null,
    wrapUp,
  };
}

async function agentCallView(db: Db, call: Call, ringTimeoutSeconds: number): Promise<AgentCallView> {
  const row = await db
    .selectFrom('conversation as v')
    .select((eb) => ['v.customer_identity', eb.selectFrom('queue').select('name').where('id', '=', call.queue_id).as('queue_name')])
    .where('v.id', '=', call.conversation_id)
    .executeTakeFirstOrThrow();
  const { contactId: _ignored, ...caller } = await identifyCaller(db, call.organisation_id, row.customer_identity);
  return {
    callId: call.id,
    conversationId: call.conversation_id,
    state: call.state,
    kind: call.kind,
    media: call.media,
    queueId: call.queue_id,
    queueName: row.queue_name ?? '',
    caller,
    ringStartedAt: call.state === 'ringing' ? (call.ring_started_at?.toISOString() ?? null) : null,
    ringEndsAt:
      call.state === 'ringing' && call.ring_started_at
        ? new Date(call.ring_started_at.getTime() + ringTimeoutSeconds * 1000).toISOString()
        : null,
    answeredAt: call.answered_at?.toISOString() ?? null,
  };
}

export async function customerCallView(db: Db, callId: string): Promise<CustomerCallView | null> {
  const row = await db
    .selectFrom('call as c')
    .leftJoin('user_account as u', 'u.id', 'c.agent_id')
    .select(['c.id', 'c.state', 'c.media', 'u.name as agent_name'])
    .where('c.id', '=', callId)
    .executeTakeFirst();
  if (!row) return null;
  const firstName = row.agent_name?.split(/\s+/)[0] ?? null;
  return {
    callId: row.id,
    state: row.state,
    media: row.media,
    agentName: row.state === 'connected' || row.state === 'on_hold' ? firstName : null,
  };
}
