/** The `/agent` namespace: an agent's desktop. Handlers validate, authorise, call the engine. */
import type { Kysely } from 'kysely';
import {
  callRefSchema,
  callTransferSchema,
  emptySchema,
  statusSetSchema,
  wrapUpUpdateSchema,
  type AgentClientToServerEvents,
  type AgentSnapshot,
  type SessionUser,
  type WrapUpView,
} from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { AcdEngine } from '../acd/engine.ts';
import { AppError, invalidTransition } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { agentSnapshot } from '../views/agent-snapshot.ts';
import { handle, refuseUnknownRequests } from './handler.ts';
import type { AgentNamespace, AgentSocket } from './types.ts';
import { agentRoom } from './publisher.ts';

/** Every request the agent desktop may send. */
const AGENT_REQUESTS = Object.keys({
  'state:get': true,
  'status:set': true,
  'call:answer': true,
  'call:decline': true,
  'call:hangup': true,
  'call:hold': true,
  'call:resume': true,
  'transfer:targets': true,
  'call:transfer': true,
  'call:media': true,
  'wrapup:update': true,
  'wrapup:extend': true,
  'wrapup:end': true,
} satisfies Record<keyof AgentClientToServerEvents, true>);

export interface AgentNamespaceDeps {
  db: Kysely<Database>;
  engine: AcdEngine;
  logger: Logger;
}

export function registerAgentNamespace(ns: AgentNamespace, deps: AgentNamespaceDeps): void {
  const { db, engine, logger } = deps;

  ns.on('connection', (socket) => {
    const user = socket.data.user;
    if (!user) {
      socket.disconnect(true);
      return;
    }
    void onConnection(socket, user);
  });

  async function onConnection(socket: AgentSocket, user: SessionUser): Promise<void> {
    const log = logger.child({ agentId: user.id });
    const snapshot = async (): Promise<AgentSnapshot> => {
      const s = await agentSnapshot(db, user.id);
      if (!s) throw new AppError('forbidden', 'You are not set up as an agent');
      return s;
    };
    const wrapUp = async (callId: string): Promise<WrapUpView> => {
      const s = await snapshot();
      if (!s.wrapUp || s.wrapUp.callId !== callId) throw invalidTransition('There is no wrap-up in progress for this call');
      return s.wrapUp;
    };

    await socket.join(agentRoom(user.id));
    refuseUnknownRequests(socket, AGENT_REQUESTS);
    handle(socket, log, 'state:get', emptySchema, snapshot);
    handle(socket, log, 'status:set', statusSetSchema, async ({ status }) => {
      await engine.setStatus(user.id, status);
      return snapshot();
    });
    handle(socket, log, 'call:answer', callRefSchema, async ({ callId }) => ({ media: await engine.answer(user.id, user.name, callId) }));
    handle(socket, log, 'call:decline', callRefSchema, async ({ callId }) => {
      await engine.decline(user.id, callId);
      return null;
    });
    handle(socket, log, 'call:hold', callRefSchema, async ({ callId }) => {
      await engine.hold(user.id, callId);
      return null;
    });
    handle(socket, log, 'call:resume', callRefSchema, async ({ callId }) => {
      await engine.resume(user.id, callId);
      return null;
    });
    handle(socket, log, 'transfer:targets', callRefSchema, ({ callId }) => engine.transferTargets(user.id, callId));
    handle(socket, log, 'call:transfer', callTransferSchema, async (request) => {
      await engine.transfer(user.id, request);
      return null;
    });
    handle(socket, log, 'call:hangup', callRefSchema, async ({ callId }) => {
      await engine.hangUpByAgent(user.id, callId);
      return null;
    });
    handle(socket, log, 'call:media', callRefSchema, async ({ callId }) => {
      const call = await db.selectFrom('call').selectAll().where('id', '=', callId).executeTakeFirst();
      if (!call || call.agent_id !== user.id || (call.state !== 'connected' && call.state !== 'on_hold')) {
        throw invalidTransition('This call is not in progress with you');
      }
      return { media: await engine.joinFor(call, { agentId: user.id, name: user.name }) };
    });
    handle(socket, log, 'wrapup:update', wrapUpUpdateSchema, async (update) => {
      await engine.updateWrapUp(user.id, update);
      return wrapUp(update.callId);
    });
    handle(socket, log, 'wrapup:extend', callRefSchema, async ({ callId }) => {
      await engine.extendWrapUp(user.id, callId);
      return wrapUp(callId);
    });
    handle(socket, log, 'wrapup:end', callRefSchema, async ({ callId }) => {
      await engine.endWrapUp(user.id, callId);
      return snapshot();
    });

    try {
      socket.emit('agent:state', await snapshot());
    } catch (error) {
      log.warn({ err: error }, 'agent socket refused');
      socket.disconnect(true);
    }
  }
}
