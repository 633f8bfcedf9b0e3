/**
 * Agent configuration by supervisors (SPEC §2, §7, §14): capacity and the per-agent wrap-up
 * override. Scoped to one organisation; another organisation's agent is "not found".
 */
import type { Kysely } from 'kysely';
import type { AgentUpdateRequest, ConsoleAgent } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { Changes } from '../acd/changes.ts';
import type { Db } from '../acd/db.ts';
import { notFound } from '../errors.ts';
import { reconfiguration } from './changes.ts';
import { queuesOfAgent } from './queues.ts';

/**
 * An agent after a change, and what the change touched: the agent's own desktop and, in
 * `changes.queues`, the queues where a waiting call may now ring them (capacity was raised).
 */
export interface AgentChange {
  agent: ConsoleAgent;
  changes: Changes;
}

export async function listAgents(db: Db, organisationId: string): Promise<ConsoleAgent[]> {
  const rows = await agentQuery(db, organisationId).orderBy('user_account.name').orderBy('user_account.email').execute();
  return rows.map(toConsoleAgent);
}

export async function updateAgent(
  db: Kysely<Database>,
  organisationId: string,
  agentId: string,
  update: AgentUpdateRequest,
): Promise<AgentChange> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('agent')
      .select(['capacity'])
      .where('user_id', '=', agentId)
      .where('organisation_id', '=', organisationId)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw notFound('Agent');
    const set = {
      ...(update.capacity !== undefined ? { capacity: update.capacity } : {}),
      ...(update.wrapUpSeconds !== undefined ? { wrap_up_seconds: update.wrapUpSeconds } : {}),
      ...(update.recordingOverride !== undefined ? { recording_override: update.recordingOverride } : {}),
    };
    if (Object.keys(set).length > 0) await trx.updateTable('agent').set(set).where('user_id', '=', agentId).execute();
    const row = await agentQuery(trx, organisationId).where('agent.user_id', '=', agentId).executeTakeFirstOrThrow();
    const changes = reconfiguration(organisationId);
    changes.agents.add(agentId);
    if (update.capacity !== undefined && update.capacity > before.capacity) {
      for (const queueId of await queuesOfAgent(trx, agentId)) changes.queues.add(queueId);
    }
    return { agent: toConsoleAgent(row), changes };
  });
}

function agentQuery(db: Db, organisationId: string) {
  return db
    .selectFrom('agent')
    .innerJoin('user_account', 'user_account.id', 'agent.user_id')
    .select([
      'agent.user_id',
      'user_account.name',
      'user_account.email',
      'user_account.role',
      'agent.status',
      'agent.capacity',
      'agent.wrap_up_seconds',
      'agent.recording_override',
    ])
    .where('agent.organisation_id', '=', organisationId);
}

type AgentRow = Awaited<ReturnType<ReturnType<typeof agentQuery>['executeTakeFirstOrThrow']>>;

function toConsoleAgent(row: AgentRow): ConsoleAgent {
  return {
    agentId: row.user_id,
    name: row.name,
    email: row.email,
    role: row.role,
    status: row.status,
    capacity: row.capacity,
    wrapUpSeconds: row.wrap_up_seconds,
    recordingOverride: row.recording_override,
  };
}
