/**
 * Automatic agent assignment (SPEC §2–3). One decision per queue at a time: the queue row
 * is locked for the whole decision, so several routing-service instances never offer two
 * calls to one agent or one call to two agents.
 */
import { sql, type RawBuilder } from 'kysely';
import { assertUnreachable, type QueueStrategy } from '@cc/contracts';
import type { Call } from '@cc/migrations';
import { constant, type Trx } from './db.ts';
import type { AgentsToRing } from './ringing.ts';

/** How many waiting calls one decision looks through for one that has an eligible agent. */
const SCAN_LIMIT = 50;
/** How many available members, in the strategy's order, a decision checks before all of them. */
const SHORTLIST = 16;
/** The most agents one `ring_all` call rings at once. */
const RING_ALL_LIMIT = 50;

/** Rings `agents` for `call`, in the decision's transaction (the engine's `offerCall`); resolves with the agents rung. */
export type Offer = (call: Call, agents: AgentsToRing, ringTimeoutSeconds: number, now: Date) => Promise<string[]>;

export interface Decision {
  /** How many calls were offered. */
  offered: number;
  /** Whether a next decision may find more to offer (it stopped at `maxOffers` or at the scan's end). */
  more: boolean;
}

/**
 * One assignment decision for a queue: offers waiting calls, by priority then arrival, to
 * the agent(s) the queue's strategy picks, up to `maxOffers` calls, all in the caller's
 * transaction. A call routed to one agent waits for that agent. Several offers per decision
 * because a decision's fixed costs (the lock, the scan, the commit) dominate under load.
 */
export async function decideQueue(trx: Trx, queueId: string, clock: () => Date, maxOffers: number, offer: Offer): Promise<Decision> {
  // One statement: the queue's lock, whether any member is free, and the waiting calls. Every
  // round trip here holds the queue's lock and delays every call behind this decision.
  const rows = await trx
    .with('q', (qb) =>
      qb
        .selectFrom('queue as q')
        .innerJoin('organisation as o', 'o.id', 'q.organisation_id')
        .select((eb) => [
          'q.id',
          'q.aaa_enabled',
          'q.strategy',
          'o.ring_timeout_seconds',
          // Most decisions find every member busy: one check says so, instead of one per waiting call.
          eb.exists(eligibleAgentsOf(trx, queueId)).as('member_free'),
        ])
        .where('q.id', '=', queueId)
        // NO KEY UPDATE excludes other decisions but not the KEY SHARE lock a new call's foreign
        // key takes: FOR UPDATE made every arriving call wait for the decision in progress.
        .forNoKeyUpdate(['q']),
    )
    .selectFrom('q')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('call')
          .selectAll()
          .whereRef('call.queue_id', '=', 'q.id')
          // Constants (see db.ts), here and for agent statuses: they pick partial indexes.
          .where('call.state', '=', constant('queued'))
          // A call whose last message is playing (maximum wait reached) is no longer offered.
          .where('call.waiting_ends_at', 'is', null)
          // Without automatic assignment only calls routed to one agent (shared call links) ring.
          .where((w) => w.or([w('q.aaa_enabled', '=', true), w('call.target_agent_id', 'is not', null)]))
          .orderBy('call.priority', 'desc')
          .orderBy('call.queued_at')
          .limit(SCAN_LIMIT)
          // NO KEY UPDATE, not UPDATE: a transaction that merely inserts a row referencing the call
          // (a timeline event, a recording) holds KEY SHARE on it until it commits. FOR UPDATE would
          // skip the call for that while, and nothing would bring this queue's assignment back to it.
          .forNoKeyUpdate()
          .skipLocked()
          .as('c'),
      (join) => join.onTrue(),
    )
    .selectAll('c')
    .select(['q.strategy', 'q.ring_timeout_seconds', 'q.member_free'])
    .execute();
  const [first] = rows;
  // No such queue, or no call waiting in it.
  if (!first) return { offered: 0, more: false };
  // The time is read for each offer, after the agents were seen free: a decision that waited
  // for the lock, or made earlier offers first, must not stamp an offer with a moment before
  // the hang-up (or ring end) that freed its agent.
  const { strategy, ring_timeout_seconds: ringTimeoutSeconds } = first;
  let memberFree = Boolean(first.member_free);
  const waiting: Call[] = rows.map(({ strategy: _s, ring_timeout_seconds: _r, member_free: _m, ...call }) => call);
  let offered = 0;
  for (const call of waiting) {
    if (!call.target_agent_id && !memberFree) continue;
    const now = clock();
    const choice = agentChoice(trx, call, strategy, now, ringTimeoutSeconds);
    // Usually the shortlist has the answer, and choosing and ringing are one statement.
    let rung = choice.shortlisted ? await offer(call, choice.shortlisted, ringTimeoutSeconds, now) : [];
    if (rung.length === 0) {
      const agentIds = await choice.rest();
      if (agentIds.length === 0) {
        // Nobody for this call: often nobody at all is left (this decision's offers took them).
        if (!call.target_agent_id) memberFree = await queueHasEligibleAgent(trx, queueId);
        continue;
      }
      rung = await offer(call, agentIds, ringTimeoutSeconds, clock());
    }
    // The offer's writes are visible to the next eligibility query: its agents are ringing now.
    offered += 1;
    if (offered === maxOffers) return { offered, more: true };
  }
  return { offered, more: waiting.length === SCAN_LIMIT && memberFree };
}

/**
 * The agents to offer `call` to: available, a member of the call's queue (or the call's target
 * agent), not in wrap-up, no call ringing or in progress, fewer open conversations than their
 * capacity, and not one who declined this call within the last ring time-out; among them, the
 * first by the queue's strategy (see `strategyOrder`), or all of them under `ring_all`. Agent
 * rows are locked (SKIP LOCKED) so a concurrent decision in another queue passes over them;
 * NO KEY UPDATE, so the KEY SHARE of a row merely referencing the agent does not hide them.
 *
 * Two steps. `shortlisted`: usually the first available members in the strategy's order include
 * the answer, and the checks and the ranking then cost a few rows, not one per member. It is a
 * query for the offer to ring (one statement for both), and it stands when that agent was not
 * offered this call before: an agent offered before might lose to one past the shortlist. It is
 * null where there is no shortlist (`ring_all`, a call routed to one agent). `rest()`: when
 * the shortlist gave nobody, every candidate.
 */
function agentChoice(
  trx: Trx,
  call: Call,
  strategy: QueueStrategy,
  now: Date,
  ringTimeoutSeconds: number,
): { shortlisted: AgentsToRing | null; rest(): Promise<string[]> } {
  const declineWindowStart = new Date(now.getTime() - ringTimeoutSeconds * 1000);
  const query = freeAgents(trx)
    .where('a.organisation_id', '=', call.organisation_id)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('call_offer as o')
            .select('o.id')
            .where('o.call_id', '=', call.id)
            .whereRef('o.agent_id', '=', 'a.user_id')
            .where('o.outcome', '=', 'declined')
            .where('o.outcome_at', '>', declineWindowStart),
        ),
      ),
    )
    // Capacity: open conversations other than this call's own must stay below it.
    .where(
      sql<number>`(select count(*) from conversation v where v.agent_id = a.user_id and v.status <> 'closed' and v.id <> ${call.conversation_id})`,
      '<',
      sql<number>`a.capacity`,
    );
  const targetAgentId = call.target_agent_id;
  if (targetAgentId) {
    return {
      shortlisted: null,
      async rest() {
        const row = await query.where('a.user_id', '=', targetAgentId).forNoKeyUpdate(['a']).skipLocked().executeTakeFirst();
        return row ? [row.user_id] : [];
      },
    };
  }
  const members = query.innerJoin('queue_member as m', (j) => j.onRef('m.agent_id', '=', 'a.user_id').on('m.queue_id', '=', call.queue_id));
  const offered = sql<boolean>`exists (select 1 from call_offer o2 where o2.call_id = ${call.id} and o2.agent_id = a.user_id)`;
  const ranked = (candidates: typeof members, order: RawBuilder<unknown>[]) => {
    let ordered = candidates.select(offered.as('offered'));
    for (const expression of order) ordered = ordered.orderBy(expression);
    return ordered
      .orderBy('a.user_id')
      .limit(strategy === 'ring_all' ? RING_ALL_LIMIT : 1)
      .forNoKeyUpdate(['a'])
      .skipLocked();
  };
  const pick = async (candidates: typeof members, order: RawBuilder<unknown>[]) =>
    (await ranked(candidates, order).execute()).map((r) => r.user_id);
  const [first, ...rest] = strategyOrder(strategy);
  // ring_all rings every eligible member, offered before or not.
  if (strategy === 'ring_all') return { shortlisted: null, rest: () => pick(members, strategyOrder(strategy)) };
  // Agents not yet offered this call come first; tiers come before even that (an agent of a
  // higher tier who was offered this call before still comes before a lower tier).
  const tiers = strategy === 'priority_then_longest_idle' && first;
  const order = tiers ? [first, offered, ...rest] : [offered, ...strategyOrder(strategy)];
  const short = ranked(members.where(sql<boolean>`a.user_id = any(array(${shortlist(trx, call, strategy)}))`), order).as('short');
  return {
    shortlisted: trx.selectFrom(short).select('short.user_id as agent_id').where('short.offered', '=', false),
    async rest() {
      // Every member. Two queries rather than one ordered by "was offered": that expression
      // would stop PostgreSQL walking the strategy's index in order.
      if (tiers) return pick(members, order);
      const fresh = await pick(members.where(sql<boolean>`not ${offered}`), strategyOrder(strategy));
      if (fresh.length > 0) return fresh;
      return pick(members.where(offered), strategyOrder(strategy));
    },
  };
}

/**
 * The first SHORTLIST available members of the call's queue in the strategy's order: what an
 * assignment decision checks first (see `eligibleAgents`).
 */
function shortlist(trx: Trx, call: Call, strategy: QueueStrategy) {
  let query = trx
    .selectFrom('agent as a')
    .innerJoin('queue_member as m', (j) => j.onRef('m.agent_id', '=', 'a.user_id').on('m.queue_id', '=', call.queue_id))
    .select('a.user_id')
    .where('a.organisation_id', '=', call.organisation_id)
    .where('a.status', '=', constant('available'));
  for (const expression of strategyOrder(strategy)) query = query.orderBy(expression);
  return query.orderBy('a.user_id').limit(SHORTLIST);
}

/**
 * Agents who could take a call now: available, no call ringing them or in progress, not in
 * wrap-up. Queue membership, capacity and declines are added by the caller. The status says
 * most of it; the call and offer checks keep one call at a time even if a status were stale.
 */
function freeAgents(trx: Trx) {
  return trx
    .selectFrom('agent as a')
    .select('a.user_id')
    .where('a.status', '=', constant('available'))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('call as c')
            .select('c.id')
            .whereRef('c.agent_id', '=', 'a.user_id')
            .where('c.state', 'in', [constant('connected'), constant('on_hold')]),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('call_offer as ro').select('ro.id').whereRef('ro.agent_id', '=', 'a.user_id').where('ro.outcome', 'is', null),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('wrap_up as w').select('w.call_id').whereRef('w.agent_id', '=', 'a.user_id').where('w.ended_at', 'is', null),
        ),
      ),
    );
}

/**
 * Whether some member of the queue might take a call: a quick, generous check (capacity
 * counts one open conversation more, as a call's own conversation does not count) before
 * the exact per-call one.
 */
/** Whether a member of the queue could be offered a call now (a transfer to the queue checks this first). */
export async function queueHasEligibleAgent(trx: Trx, queueId: string): Promise<boolean> {
  return (await eligibleAgentsOf(trx, queueId).executeTakeFirst()) !== undefined;
}

/** Whether this member of the queue could be offered a call now (a transfer to the agent checks this first). */
export async function agentIsEligible(trx: Trx, queueId: string, agentId: string): Promise<boolean> {
  return (await eligibleAgentsOf(trx, queueId).where('a.user_id', '=', agentId).executeTakeFirst()) !== undefined;
}

function eligibleAgentsOf(trx: Trx, queueId: string) {
  return freeAgents(trx)
    .innerJoin('queue_member as m', (j) => j.onRef('m.agent_id', '=', 'a.user_id').on('m.queue_id', '=', queueId))
    .where(
      sql<number>`(select count(*) from conversation v where v.agent_id = a.user_id and v.status <> 'closed')`,
      '<=',
      sql<number>`a.capacity`,
    )
    .limit(1);
}

/**
 * Who comes first among eligible agents (SPEC §3); under `priority_then_longest_idle` a
 * lower tier rings only when no higher-tier agent is eligible.
 */
function strategyOrder(strategy: QueueStrategy): RawBuilder<unknown>[] {
  const idle = sql`a.idle_since`;
  switch (strategy) {
    // ring_all rings every eligible member; the order only matters when there are more than RING_ALL_LIMIT.
    case 'ring_all':
    case 'longest_idle':
      return [idle];
    case 'least_occupied':
      return [sql`(select count(*) from conversation v where v.agent_id = a.user_id and v.status <> 'closed')::float / a.capacity`, idle];
    case 'round_robin':
      // Members take turns: the one offered a call of this queue longest ago (or never) is next.
      return [sql`m.last_offered_at asc nulls first`, idle];
    case 'priority_then_longest_idle':
      return [sql`m.priority`, idle];
    default:
      return assertUnreachable(strategy);
  }
}
