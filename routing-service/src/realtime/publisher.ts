/** Pushes snapshots to the rooms of the agents and calls a transaction changed. */
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import type { Changes } from '../acd/changes.ts';
import { agentSnapshot, customerCallView } from '../views/agent-snapshot.ts';
import type { AgentNamespace, CustomerNamespace } from './types.ts';

export const agentRoom = (agentId: string) => `agent:${agentId}`;
export const callRoom = (callId: string) => `call:${callId}`;

export function createPublisher(db: Kysely<Database>, agentNs: AgentNamespace, customerNs: CustomerNamespace) {
  return async (changes: Changes): Promise<void> => {
    for (const agentId of changes.agents) {
      const snapshot = await agentSnapshot(db, agentId);
      if (snapshot) agentNs.to(agentRoom(agentId)).emit('agent:state', snapshot);
    }
    for (const { agentId, notice } of changes.notices) agentNs.to(agentRoom(agentId)).emit('notice', notice);
    for (const callId of changes.calls) {
      const view = await customerCallView(db, callId);
      if (view) customerNs.to(callRoom(callId)).emit('call:state', view);
    }
  };
}
