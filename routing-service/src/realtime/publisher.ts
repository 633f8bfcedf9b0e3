/** Pushes snapshots to the rooms of the agents and calls a transaction changed. */
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import type { Changes } from '../acd/changes.ts';
import { agentSnapshot, customerCallView } from '../views/agent-snapshot.ts';
import type { LivePushes } from './live-pushes.ts';
import type { AgentNamespace, CustomerNamespace } from './types.ts';

export const agentRoom = (agentId: string) => `agent:${agentId}`;
export const callRoom = (callId: string) => `call:${callId}`;

/** Pushes what a committed transaction changed; shared by the ACD engine and the supervisor console. */
export type Publish = (changes: Changes) => Promise<void>;

export function createPublisher(db: Kysely<Database>, agentNs: AgentNamespace, customerNs: CustomerNamespace, live?: LivePushes): Publish {
  return async (changes) => {
    for (const agentId of changes.agents) {
      const snapshot = await agentSnapshot(db, agentId);
      if (snapshot) agentNs.to(agentRoom(agentId)).emit('agent:state', snapshot);
    }
    for (const { agentId, notice } of changes.notices) agentNs.to(agentRoom(agentId)).emit('notice', notice);
    for (const callId of changes.calls) {
      const view = await customerCallView(db, callId);
      if (view) customerNs.to(callRoom(callId)).emit('call:state', view);
    }
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
