/**
 * Calls in progress and call history (SPEC §14). Scoped to one organisation; an agent sees
 * only the calls they took part in (answered, or were offered), supervisors and admins see
 * all. A call outside what the viewer may see is "not found", never "forbidden".
 */
import { sql } from 'kysely';
import {
  encodeHistoryCursor,
  type CallHistoryPage,
  type CallHistoryQuery,
  type CallSummary,
  type CallTimeline,
  type SessionUser,
} from '@cc/contracts';
import type { Db } from '../acd/db.ts';
import { notFound } from '../errors.ts';

/** Who is looking: their organisation, and whether they see only their own calls. */
export type HistoryViewer = Pick<SessionUser, 'id' | 'organisationId' | 'role'>;

export async function listCalls(db: Db, viewer: HistoryViewer, query: CallHistoryQuery): Promise<CallHistoryPage> {
  let select = summaryQuery(db, viewer);
  if (query.queueId) select = select.where('call.queue_id', '=', query.queueId);
  if (query.agentId) select = select.where('call.agent_id', '=', query.agentId);
  if (query.state) select = select.where('call.state', '=', query.state);
  if (query.from) select = select.where('call.queued_at', '>=', new Date(query.from));
  if (query.to) select = select.where('call.queued_at', '<', new Date(query.to));
  const { before } = query;
  if (before) {
    select = select.where((eb) =>
      eb(eb.refTuple('call.queued_at', 'call.id'), '<', eb.tuple(eb.val(before.queuedAt).$castTo<Date>(), eb.val(before.id))),
    );
  }
  // One row more than the page tells whether another page follows.
  const rows = await select
    .orderBy('call.queued_at', 'desc')
    .orderBy('call.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    calls: page.map(toCallSummary),
    nextCursor: rows.length > query.limit && last ? encodeHistoryCursor({ queuedAt: last.cursor_at, id: last.call_id }) : null,
  };
}

export async function callTimeline(db: Db, viewer: HistoryViewer, callId: string): Promise<CallTimeline> {
  const row = await summaryQuery(db, viewer).where('call.id', '=', callId).executeTakeFirst();
  if (!row) throw notFound('Call');
  const events = await db
    .selectFrom('call_event')
    .select(['type', 'actor_type', 'actor_id', 'data', 'at'])
    .where('conversation_id', '=', row.conversation_id)
    .where('call_id', '=', callId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  // actor_id is text (a customer's actor id is their identity), so agents are named in a second query, not a join.
  const named = await agentNames(db, viewer.organisationId, [
    ...events.map((event) => (event.actor_type === 'agent' ? event.actor_id : null)),
    ...events.map((event) => agentIdOf(event.data)),
  ]);
  return {
    call: toCallSummary(row),
    events: events.map((event) => ({
      type: event.type,
      actorType: event.actor_type,
      actorName:
        event.actor_type === 'agent'
          ? (named.get(event.actor_id ?? '') ?? null)
          : event.actor_type === 'customer'
            ? row.customer_identity
            : null,
      agentName: named.get(agentIdOf(event.data) ?? '') ?? null,
      at: event.at.toISOString(),
      data: event.data,
    })),
  };
}

/** The agent an event is about: who rang, who timed out, whose wrap-up it is. */
function agentIdOf(data: Record<string, unknown>): string | null {
  const id = data.agentId ?? data.toAgentId;
  return typeof id === 'string' ? id : null;
}

async function agentNames(db: Db, organisationId: string, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .selectFrom('user_account')
    .select(['id', 'name'])
    .where('organisation_id', '=', organisationId)
    .where('id', 'in', wanted)
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

function summaryQuery(db: Db, viewer: HistoryViewer) {
  const query = db
    .selectFrom('call')
    .innerJoin('queue', 'queue.id', 'call.queue_id')
    .innerJoin('conversation', 'conversation.id', 'call.conversation_id')
    .leftJoin('user_account as agent_account', 'agent_account.id', 'call.agent_id')
    .select((eb) => [
      'call.id as call_id',
      'call.conversation_id',
      'call.queue_id',
      'queue.name as queue_name',
      'call.agent_id',
      'agent_account.name as agent_name',
      'conversation.customer_identity',
      'call.state',
      'call.kind',
      'call.media',
      'call.queued_at',
      'call.answered_at',
      'call.ended_at',
      'call.end_reason',
      // Raw SQL: Kysely has no "at time zone". Microseconds survive in the cursor (a JS Date
      // would drop them), so a page never skips a call queued in the same millisecond.
      sql<string>`to_char(${eb.ref('call.queued_at')} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'),
    ])
    .where('call.organisation_id', '=', viewer.organisationId);
  if (viewer.role !== 'agent') return query;
  // An agent took part in a call they answered or were offered (rung, declined, timed out).
  return query.where((eb) =>
    eb.or([
      eb('call.agent_id', '=', viewer.id),
      eb.exists(
        eb
          .selectFrom('call_offer')
          .select('call_offer.id')
          .whereRef('call_offer.call_id', '=', 'call.id')
          .where('call_offer.agent_id', '=', viewer.id),
      ),
    ]),
  );
}

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryQuery>['executeTakeFirstOrThrow']>>;

const secondsBetween = (from: Date, to: Date) => Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

function toCallSummary(row: SummaryRow): CallSummary {
  const waitedUntil = row.answered_at ?? row.ended_at;
  return {
    callId: row.call_id,
    conversationId: row.conversation_id,
    queueId: row.queue_id,
    queueName: row.queue_name,
    agentId: row.agent_id,
    agentName: row.agent_name,
    customerIdentity: row.customer_identity,
    state: row.state,
    kind: row.kind,
    media: row.media,
    queuedAt: row.queued_at.toISOString(),
    answeredAt: row.answered_at?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
    waitSeconds: waitedUntil ? secondsBetween(row.queued_at, waitedUntil) : null,
    talkSeconds: row.answered_at && row.ended_at ? secondsBetween(row.answered_at, row.ended_at) : null,
    endReason: row.end_reason,
  };
}
