/**
 * The supervisor's live view of one organisation (SPEC §14): per queue the calls waiting,
 * in progress and of today, the service level and the members by status; per agent the
 * status and since when. A handful of aggregate queries, read from one snapshot.
 */
import { sql, type Kysely } from 'kysely';
import { AGENT_STATUSES, type AgentStatus, type LiveAgent, type LiveQueue, type LiveView } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { AppError } from '../errors.ts';

const IN_PROGRESS = ['ringing', 'connected', 'on_hold'] as const;

const noAgents = (): Record<AgentStatus, number> =>
  Object.fromEntries(AGENT_STATUSES.map((status) => [status, 0])) as Record<AgentStatus, number>;

/**
 * Midnight at the start of `now`'s day in the organisation's time zone, as an instant; with
 * `days`, that many local days later. Counting days on the local calendar and converting back
 * keeps 23- and 25-hour days (daylight saving) right; adding 24 hours would not.
 * Kysely has no `at time zone`, hence raw SQL over the `organisation` row's `time_zone`.
 */
const localMidnight = (now: Date, days = 0) =>
  sql<Date>`(date_trunc('day', ${now}::timestamptz at time zone time_zone) + make_interval(days => ${days})) at time zone time_zone`;

/** When the organisation's next day begins after `now` (its local midnight); null when there is no such organisation. */
export async function nextMidnight(db: Kysely<Database>, organisationId: string, now: Date): Promise<Date | null> {
  const row = await db
    .selectFrom('organisation')
    .select(localMidnight(now, 1).as('next_midnight'))
    .where('id', '=', organisationId)
    .executeTakeFirst();
  return row?.next_midnight ?? null;
}

/**
 * "Today" is since midnight in the organisation's time zone. The service level counts the
 * calls that arrived today and were answered or abandoned: the share answered within the
 * queue's threshold of arriving.
 */
export async function liveView(db: Kysely<Database>, organisationId: string, now: Date): Promise<LiveView> {
  // One read-only snapshot, so queue counts and agent statuses agree with each other.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const org = await trx
        .selectFrom('organisation')
        .select(localMidnight(now).as('day_start'))
        .where('id', '=', organisationId)
        .executeTakeFirst();
      if (!org) throw new AppError('not_found', 'No such organisation');
      const dayStart = org.day_start;

      const queueRows = await trx
        .selectFrom('queue as q')
        // Only the calls that can count: those still live and those that arrived today.
        .leftJoin('call as c', (join) =>
          join
            .onRef('c.queue_id', '=', 'q.id')
            .on((eb) => eb.or([eb('c.state', 'in', ['queued', ...IN_PROGRESS]), eb('c.queued_at', '>=', dayStart)])),
        )
        .select((eb) => {
          const today = eb('c.queued_at', '>=', dayStart);
          const answered = eb.and([today, eb('c.answered_at', 'is not', null)]);
          return [
            'q.id',
            'q.name',
            'q.service_level_seconds',
            eb.fn.count<string>('c.id').filterWhere('c.state', '=', 'queued').as('waiting'),
            eb.fn.min('c.queued_at').filterWhere('c.state', '=', 'queued').as('oldest_queued_at'),
            eb.fn.count<string>('c.id').filterWhere('c.state', 'in', IN_PROGRESS).as('in_progress'),
            eb.fn.count<string>('c.id').filterWhere(answered).as('answered'),
            eb.fn
              .count<string>('c.id')
              .filterWhere(eb.and([today, eb('c.state', '=', 'abandoned')]))
              .as('abandoned'),
            eb.fn
              .count<string>('c.id')
              // Interval arithmetic against a per-row number of seconds: Kysely cannot say it.
              .filterWhere(eb.and([answered, sql<boolean>`c.answered_at - c.queued_at <= make_interval(secs => q.service_level_seconds)`]))
              .as('answered_within'),
          ];
        })
        .where('q.organisation_id', '=', organisationId)
        .groupBy('q.id')
        .orderBy('q.is_default', 'desc')
        .orderBy('q.name')
        .execute();

      const memberRows = await trx
        .selectFrom('queue_member as m')
        .innerJoin('queue as q', 'q.id', 'm.queue_id')
        .innerJoin('agent as a', 'a.user_id', 'm.agent_id')
        .select((eb) => ['m.queue_id', 'a.status', eb.fn.countAll<string>().as('agents')])
        .where('q.organisation_id', '=', organisationId)
        .groupBy(['m.queue_id', 'a.status'])
        .execute();

      const agentRows = await trx
        .selectFrom('agent as a')
        .innerJoin('user_account as u', 'u.id', 'a.user_id')
        .leftJoin('queue_member as m', 'm.agent_id', 'a.user_id')
        .select([
          'a.user_id',
          'u.name',
          'a.status',
          'a.status_reason',
          'a.status_since',
          // text[] rather than uuid[]: the driver parses text arrays into strings.
          sql<string[]>`coalesce(array_agg(m.queue_id::text order by m.queue_id) filter (where m.queue_id is not null), '{}')`.as(
            'queue_ids',
          ),
        ])
        .where('a.organisation_id', '=', organisationId)
        .groupBy(['a.user_id', 'u.name'])
        .orderBy('u.name')
        .execute();

      const byQueue = new Map<string, Record<AgentStatus, number>>();
      for (const row of memberRows) {
        const counts = byQueue.get(row.queue_id) ?? noAgents();
        counts[row.status] = Number(row.agents);
        byQueue.set(row.queue_id, counts);
      }

      const queues = queueRows.map((row): LiveQueue => {
        const answered = Number(row.answered);
        const abandoned = Number(row.abandoned);
        const oldest = row.oldest_queued_at ? new Date(row.oldest_queued_at) : null;
        return {
          queueId: row.id,
          name: row.name,
          callsWaiting: Number(row.waiting),
          longestWaitSeconds: oldest ? Math.max(0, Math.floor((now.getTime() - oldest.getTime()) / 1000)) : 0,
          agentsByStatus: byQueue.get(row.id) ?? noAgents(),
          callsInProgress: Number(row.in_progress),
          answeredToday: answered,
          abandonedToday: abandoned,
          serviceLevelSeconds: row.service_level_seconds,
          serviceLevel: answered + abandoned === 0 ? null : Number(row.answered_within) / (answered + abandoned),
        };
      });

      const agents = agentRows.map((row): LiveAgent => ({
        agentId: row.user_id,
        name: row.name,
        status: row.status,
        statusReason: row.status_reason,
        statusSince: row.status_since.toISOString(),
        queueIds: row.queue_ids,
      }));

      return { organisationId, generatedAt: now.toISOString(), queues, agents };
    });
}
