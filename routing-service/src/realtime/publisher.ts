/** Pushes snapshots to the rooms of the agents and calls a transaction changed. */
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import type { Changes } from '../acd/changes.ts';
import { Coalescer } from '../coalescer.ts';
import type { Logger } from '../logger.ts';
import { agentSnapshot, customerCallView } from '../views/agent-snapshot.ts';
import type { LivePushes } from './live-pushes.ts';
import type { AgentNamespace, CustomerNamespace } from './types.ts';

export const agentRoom = (agentId: string) => `agent:${agentId}`;
export const callRoom = (callId: string) => `call:${callId}`;

/** Pushes what a committed transaction changed; shared by the ACD engine and the supervisor console. */
export type Publish = (changes: Changes) => Promise<void>;

export function createPublisher(
  db: Kysely<Database>,
  agentNs: AgentNamespace,
  customerNs: CustomerNamespace,
  logger: Logger,
  live?: LivePushes,
): Publish {
  const agents = new Coalescer();
  const calls = new Coalescer();
  const failed = (what: Record<string, string>) => (error: unknown) => logger.error({ err: error, ...what }, 'pushing a snapshot failed');
  const pushAgent = (agentId: string) =>
    agents.run(agentId, async () => {
      const snapshot = await agentSnapshot(db, agentId).catch(failed({ agentId }));
      if (snapshot) agentNs.to(agentRoom(agentId)).emit('agent:state', snapshot);
    });
  const pushCall = (callId: string) =>
    calls.run(callId, async () => {
      const view = await customerCallView(db, callId).catch(failed({ callId }));
      if (view) customerNs.to(callRoom(callId)).emit('call:state', view);
    });

  return async (changes: Changes): Promise<void> => {
    await Promise.all([...[...changes.agents].map(pushAgent), ...[...changes.calls].map(pushCall)]);
    for (const { agentId, notice } of changes.notices) agentNs.to(agentRoom(agentId)).emit('notice', notice);
    if (!live) return;
    for (const organisationId of changes.reconfigured) live.reconfigured(organisationId);
    if (live.watched) {
      await addOrganisations(db, changes);
      for (const organisationId of changes.organisations) live.changed(organisationId);
    }
  };
}

/** Adds the organisations of the changed agents and calls to `changes.organisations`, in one query. */
async function addOrganisations(db: Kysely<Database>, changes: Changes): Promise<void> {
  const agents = [...changes.agents];
  const calls = [...changes.calls];
  if (agents.length === 0 && calls.length === 0) return;
  const rows = await db
    .selectFrom('agent')
    .select('organisation_id')
    .where('user_id', 'in', agents.length > 0 ? agents : [null])
    .union(
      db
        .selectFrom('call')
        .select('organisation_id')
        .where('id', 'in', calls.length > 0 ? calls : [null]),
    )
    .execute();
  for (const row of rows) changes.organisations.add(row.organisation_id);
}
