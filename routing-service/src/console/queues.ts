/**
 * Queue configuration by supervisors (SPEC §3, §14): name, strategy, AAA, missed-call rule,
 * service level and the member set with tiers. Every function is scoped to one organisation:
 * another organisation's queue is "not found", never "forbidden".
 */
import type { Kysely } from 'kysely';
import type { CallState, QueueCreateRequest, QueueDetail, QueueMembersSetRequest, QueueUpdateRequest, QueueStrategy } from '@cc/contracts';
import type { Database, Queue } from '@cc/migrations';
import type { Changes } from '../acd/changes.ts';
import type { Db, Trx } from '../acd/db.ts';
import { AppError, notFound } from '../errors.ts';
import { reconfiguration } from './changes.ts';

/** Calls that still need their queue; a queue holding one cannot be deleted. */
const ACTIVE_CALL_STATES: readonly CallState[] = ['queued', 'ringing', 'connected', 'on_hold'];
/** Calls an agent's desktop shows, with their queue's name. */
const CALL_ON_DESK_STATES: readonly CallState[] = ['ringing', 'connected', 'on_hold'];

/**
 * A queue after a change, and what the change touched: the agents whose desktop shows it and,
 * in `changes.queues`, the queue when a waiting call may now ring there. The caller publishes
 * the changes and runs assignment after the commit.
 */
export interface QueueChange {
  queue: QueueDetail;
  changes: Changes;
}

export async function listQueues(db: Db, organisationId: string): Promise<QueueDetail[]> {
  const queues = await db
    .selectFrom('queue')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('is_default', 'desc')
    .orderBy('name')
    .execute();
  const members = await membersOf(
    db,
    queues.map((q) => q.id),
  );
  return queues.map((q) => toQueueDetail(q, members.get(q.id) ?? []));
}

export async function getQueue(db: Db, organisationId: string, queueId: string): Promise<QueueDetail> {
  const queue = await findQueue(db, organisationId, queueId);
  return toQueueDetail(queue, (await membersOf(db, [queue.id])).get(queue.id) ?? []);
}

/** A new queue has no members, so no desktop shows it yet; with AAA on, it may be assigned at once. */
export async function createQueue(db: Kysely<Database>, organisationId: string, request: QueueCreateRequest): Promise<QueueChange> {
  return db.transaction().execute(async (trx) => {
    const name = request.name.trim();
    await assertNameFree(trx, organisationId, name, null);
    const created = await trx
      .insertInto('queue')
      .values({
        organisation_id: organisationId,
        name,
        ...(request.strategy !== undefined ? { strategy: request.strategy } : {}),
        ...(request.aaaEnabled !== undefined ? { aaa_enabled: request.aaaEnabled } : {}),
        ...(request.missedCallAway !== undefined ? { missed_call_away: request.missedCallAway } : {}),
        ...(request.serviceLevelSeconds !== undefined ? { service_level_seconds: request.serviceLevelSeconds } : {}),
        hold_configuration_id: await holdConfigurationOf(trx, organisationId, request.holdConfigurationId ?? null),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(rethrowDuplicateName);
    const changes = reconfiguration(organisationId);
    if (created.aaa_enabled) changes.queues.add(created.id);
    return { queue: toQueueDetail(created, []), changes };
  });
}

export async function updateQueue(
  db: Kysely<Database>,
  organisationId: string,
  queueId: string,
  update: QueueUpdateRequest,
): Promise<QueueChange> {
  return db.transaction().execute(async (trx) => {
    const before = await findQueue(trx, organisationId, queueId, true);
    const name = update.name?.trim();
    if (name !== undefined && name !== before.name) await assertNameFree(trx, organisationId, name, queueId);
    const set = {
      ...(name !== undefined ? { name } : {}),
      ...(update.strategy !== undefined ? { strategy: update.strategy } : {}),
      ...(update.aaaEnabled !== undefined ? { aaa_enabled: update.aaaEnabled } : {}),
      ...(update.missedCallAway !== undefined ? { missed_call_away: update.missedCallAway } : {}),
      ...(update.serviceLevelSeconds !== undefined ? { service_level_seconds: update.serviceLevelSeconds } : {}),
      ...(update.holdConfigurationId !== undefined
        ? { hold_configuration_id: await holdConfigurationOf(trx, organisationId, update.holdConfigurationId) }
        : {}),
    };
    const after =
      Object.keys(set).length === 0
        ? before
        : await trx
            .updateTable('queue')
            .set(set)
            .where('id', '=', queueId)
            .returningAll()
            .executeTakeFirstOrThrow()
            .catch(rethrowDuplicateName);
    const members = (await membersOf(trx, [queueId])).get(queueId) ?? [];
    const changes = reconfiguration(organisationId);
    if ((after.aaa_enabled && !before.aaa_enabled) || after.strategy !== before.strategy) changes.queues.add(queueId);
    // Desktops show a queue's name (the member's queue list, the call's queue), nothing else of it.
    if (after.name !== before.name) {
      for (const m of members) changes.agents.add(m.agent_id);
      for (const agentId of await agentsOnCallsIn(trx, organisationId, queueId)) changes.agents.add(agentId);
    }
    return { queue: toQueueDetail(after, members), changes };
  });
}

/** Deletes a queue that is not the Default and holds no call, now or in its history; its members' desktops stop listing it. */
export async function deleteQueue(db: Kysely<Database>, organisationId: string, queueId: string): Promise<Changes> {
  return db.transaction().execute(async (trx) => {
    // The row lock makes a call entering this queue (its foreign key takes a key-share lock) wait for us.
    const queue = await findQueue(trx, organisationId, queueId, true);
    if (queue.is_default) {
      throw new AppError('conflict', 'The Default queue cannot be deleted: calls land there when nothing else routes them.');
    }
    const active = await trx
      .selectFrom('call')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('queue_id', '=', queueId)
      .where('state', 'in', ACTIVE_CALL_STATES)
      .executeTakeFirstOrThrow();
    if (Number(active.count) > 0) {
      throw new AppError(
        'conflict',
        `"${queue.name}" has ${active.count} call${active.count === '1' ? '' : 's'} waiting or in progress. Delete it when they have ended.`,
      );
    }
    // Finished calls keep their queue for reports (call.queue_id has no cascade on purpose).
    const history = await trx.selectFrom('call').select('id').where('queue_id', '=', queueId).limit(1).executeTakeFirst();
    if (history) {
      throw new AppError(
        'conflict',
        `"${queue.name}" has call history, which reports need, so it cannot be deleted. Turn off automatic agent assignment and remove its members instead.`,
      );
    }
    const members = await trx.selectFrom('queue_member').select('agent_id').where('queue_id', '=', queueId).execute();
    await trx.deleteFrom('queue').where('id', '=', queueId).execute();
    const changes = reconfiguration(organisationId);
    for (const m of members) changes.agents.add(m.agent_id);
    return changes;
  });
}

/**
 * Replaces the member set of a queue in one transaction: every agent must belong to the
 * organisation, or nothing changes. Members who stay keep their round-robin position. The
 * agents added, removed or given another tier see it on their desktop; assignment may run.
 */
export async function setQueueMembers(
  db: Kysely<Database>,
  organisationId: string,
  queueId: string,
  members: QueueMembersSetRequest,
): Promise<QueueChange> {
  return db.transaction().execute(async (trx) => {
    const queue = await findQueue(trx, organisationId, queueId, true);
    const agentIds = members.map((m) => m.agentId);
    if (agentIds.length > 0) {
      const known = await trx
        .selectFrom('agent')
        .select('user_id')
        .where('organisation_id', '=', organisationId)
        .where('user_id', 'in', agentIds)
        .execute();
      const missing = agentIds.length - known.length;
      if (missing > 0) {
        throw new AppError(
          'not_found',
          missing === 1
            ? 'One of the chosen agents was not found in your organisation; no member was changed.'
            : `${missing} of the chosen agents were not found in your organisation; no member was changed.`,
        );
      }
    }
    const before = await trx.selectFrom('queue_member').select(['agent_id', 'priority']).where('queue_id', '=', queueId).execute();
    let removal = trx.deleteFrom('queue_member').where('queue_id', '=', queueId);
    if (agentIds.length > 0) removal = removal.where('agent_id', 'not in', agentIds);
    await removal.execute();
    if (members.length > 0) {
      await trx
        .insertInto('queue_member')
        .values(members.map((m) => ({ queue_id: queueId, agent_id: m.agentId, priority: m.priority })))
        .onConflict((oc) => oc.columns(['queue_id', 'agent_id']).doUpdateSet((eb) => ({ priority: eb.ref('excluded.priority') })))
        .execute();
    }
    const changes = reconfiguration(organisationId);
    changes.queues.add(queueId);
    const tierBefore = new Map(before.map((m) => [m.agent_id, m.priority]));
    for (const m of members) if (tierBefore.get(m.agentId) !== m.priority) changes.agents.add(m.agentId);
    const staying = new Set(agentIds);
    for (const m of before) if (!staying.has(m.agent_id)) changes.agents.add(m.agent_id);
    return { queue: toQueueDetail(queue, (await membersOf(trx, [queueId])).get(queueId) ?? []), changes };
  });
}

/** The queues an agent is a member of: where a raised capacity may let a waiting call ring. */
export async function queuesOfAgent(db: Db, agentId: string): Promise<string[]> {
  const rows = await db.selectFrom('queue_member').select('queue_id').where('agent_id', '=', agentId).execute();
  return rows.map((r) => r.queue_id);
}

/** The agents of the organisation with a call of this queue on their desk (members or not: a member may have been removed since). */
async function agentsOnCallsIn(db: Db, organisationId: string, queueId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('agent as a')
    .innerJoin('call as c', 'c.agent_id', 'a.user_id')
    .select('a.user_id')
    .where('a.organisation_id', '=', organisationId)
    .where('c.state', 'in', CALL_ON_DESK_STATES)
    .where('c.queue_id', '=', queueId)
    .execute();
  return rows.map((r) => r.user_id);
}

async function findQueue(db: Db, organisationId: string, queueId: string, lock = false): Promise<Queue> {
  let query = db.selectFrom('queue').selectAll().where('id', '=', queueId).where('organisation_id', '=', organisationId);
  if (lock) query = query.forUpdate();
  const queue = await query.executeTakeFirst();
  if (!queue) throw notFound('Queue');
  return queue;
}

/** Names are unique per organisation regardless of case: "Sales" and "sales" would confuse people. */
async function assertNameFree(trx: Trx, organisationId: string, name: string, exceptId: string | null): Promise<void> {
  let query = trx
    .selectFrom('queue')
    .select('name')
    .where('organisation_id', '=', organisationId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (exceptId) query = query.where('id', '!=', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) throw duplicateName(clash.name);
}

const duplicateName = (name: string) => new AppError('conflict', `A queue named "${name}" already exists. Choose another name.`);

/** Two supervisors creating the same name at once: the unique constraint decides, with the same message. */
function rethrowDuplicateName(error: unknown): never {
  if ((error as { code?: string }).code === '23505' && (error as { constraint?: string }).constraint === 'queue_org_name_unique') {
    throw new AppError('conflict', 'A queue with that name already exists. Choose another name.', { cause: error });
  }
  throw error;
}

interface MemberRow {
  queue_id: string;
  agent_id: string;
  priority: number;
  name: string;
  email: string;
  capacity: number;
}

async function membersOf(db: Db, queueIds: string[]): Promise<Map<string, MemberRow[]>> {
  const byQueue = new Map<string, MemberRow[]>();
  if (queueIds.length === 0) return byQueue;
  const rows = await db
    .selectFrom('queue_member')
    .innerJoin('agent', 'agent.user_id', 'queue_member.agent_id')
    .innerJoin('user_account', 'user_account.id', 'agent.user_id')
    .select([
      'queue_member.queue_id',
      'queue_member.agent_id',
      'queue_member.priority',
      'user_account.name',
      'user_account.email',
      'agent.capacity',
    ])
    .where('queue_member.queue_id', 'in', queueIds)
    .orderBy('queue_member.priority')
    .orderBy('user_account.name')
    .execute();
  for (const row of rows) {
    const list = byQueue.get(row.queue_id) ?? [];
    list.push(row);
    byQueue.set(row.queue_id, list);
  }
  return byQueue;
}

/** The organisation's own hold configuration (null: its Default); another organisation's id is refused. */
async function holdConfigurationOf(db: Db, organisationId: string, id: string | null): Promise<string | null> {
  if (id === null) return null;
  const found = await db
    .selectFrom('hold_configuration')
    .select('id')
    .where('id', '=', id)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (!found) throw new AppError('bad_request', 'That hold configuration does not exist any more. Choose one from the list.');
  return id;
}

function toQueueDetail(queue: Queue, members: MemberRow[]): QueueDetail {
  return {
    id: queue.id,
    name: queue.name,
    isDefault: queue.is_default,
    aaaEnabled: queue.aaa_enabled,
    strategy: queue.strategy satisfies QueueStrategy,
    missedCallAway: queue.missed_call_away,
    serviceLevelSeconds: queue.service_level_seconds,
    holdConfigurationId: queue.hold_configuration_id,
    members: members.map((m) => ({ agentId: m.agent_id, name: m.name, email: m.email, priority: m.priority, capacity: m.capacity })),
  };
}
