/** The `/customer` namespace: the call-link page. The link token is the credential. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { callStartSchema, emptySchema, type CustomerClientToServerEvents } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { FINAL_CALL_STATES } from '@cc/contracts';
import type { AcdEngine } from '../acd/engine.ts';
import { checkCallLink } from '../call-links/links.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { customerCallView } from '../views/agent-snapshot.ts';
import { handle, refuseUnknownRequests } from './handler.ts';
import type { CustomerNamespace } from './types.ts';
import { callRoom } from './publisher.ts';

/** Every request the call-link page may send. */
const CUSTOMER_REQUESTS = Object.keys({ 'call:start': true, 'call:hangup': true } satisfies Record<
  keyof CustomerClientToServerEvents,
  true
>);

export interface CustomerNamespaceDeps {
  db: Kysely<Database>;
  engine: AcdEngine;
  clock: Clock;
  logger: Logger;
}

export function registerCustomerNamespace(ns: CustomerNamespace, deps: CustomerNamespaceDeps): void {
  const { db, engine, clock, logger } = deps;

  ns.use((socket, next) => {
    const token: unknown = (socket.handshake.auth as { linkToken?: unknown }).linkToken;
    if (typeof token !== 'string') return next(new Error('link_not_found'));
    checkCallLink(db, token, clock.now())
      .then(() => {
        socket.data.linkToken = token;
        next();
      })
      .catch((error: unknown) => next(new Error(error instanceof AppError ? error.code : 'internal')));
  });

  ns.on('connection', (socket) => {
    const log = logger.child({ socketId: socket.id });
    let callId: string | null = null;
    refuseUnknownRequests(socket, CUSTOMER_REQUESTS);

    handle(socket, log, 'call:start', callStartSchema, async ({ media }) => {
      if (callId) {
        const current = await customerCallView(db, callId);
        if (current && !FINAL_CALL_STATES.includes(current.state)) throw new AppError('conflict', 'A call is already in progress');
      }
      // Join the call's room before the call exists, so no state pushed while it starts is lost.
      const newCallId = randomUUID();
      await socket.join(callRoom(newCallId));
      let call;
      let join;
      try {
        ({ call, join } = await engine.startCall(socket.data.linkToken ?? '', media, newCallId));
      } catch (error) {
        await socket.leave(callRoom(newCallId));
        throw error;
      }
      callId = call.id;
      log.info({ callId: call.id, conversationId: call.conversation_id }, 'customer call started');
      const view = await customerCallView(db, call.id);
      if (!view) throw new AppError('internal', 'call vanished');
      return { call: view, media: join };
    });

    handle(socket, log, 'call:hangup', emptySchema, async () => {
      if (!callId) throw new AppError('invalid_transition', 'There is no call to hang up');
      await engine.hangUpByCustomer(callId);
      return null;
    });

    // A customer who closes the page leaves the call.
    socket.on('disconnect', (reason) => {
      // A routing-service restart is not the customer leaving: the call outlives it.
      if (!callId || reason === 'server shutting down' || reason === 'server namespace disconnect') return;
      const id = callId;
      engine.hangUpByCustomer(id).catch((error: unknown) => {
        if (!(error instanceof AppError)) log.error({ err: error, callId: id }, 'ending a call on disconnect failed');
      });
    });
  });
}
