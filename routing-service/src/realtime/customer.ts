/**
 * The `/customer` namespace: the call-link page. The link token is the credential; with a
 * resume credential as well, the socket takes back a call in progress (after a dropped
 * connection, a routing-service instance that died, or a page reload).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  callStartSchema,
  customerHandshakeSchema,
  callDigitSchema,
  emptySchema,
  FINAL_CALL_STATES,
  type CustomerCallJoin,
  type CustomerClientToServerEvents,
} from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { AcdEngine } from '../acd/engine.ts';
import { checkCallLink } from '../call-links/links.ts';
import type { ResumeCredentials } from '../call-links/resume.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { customerCallView } from '../views/agent-snapshot.ts';
import type { CustomerPresence } from './customer-presence.ts';
import { handle, refuseUnknownRequests } from './handler.ts';
import type { CustomerNamespace } from './types.ts';
import { callRoom } from './publisher.ts';

/** Every request the call-link page may send. */
const CUSTOMER_REQUESTS = Object.keys({ 'call:start': true, 'call:rejoin': true, 'call:hangup': true, 'call:digit': true } satisfies Record<
  keyof CustomerClientToServerEvents,
  true
>);

/**
 * Disconnect reasons that are the page saying goodbye (it closed its socket): the call ends
 * at once. Any other reason from the client's side (transport close, ping timeout) may be a
 * network blip, so the call waits the reconnect grace for the customer.
 */
const GOODBYE = new Set(['client namespace disconnect']);
/** The server closing the socket (shutting down) is not the customer leaving either. */
const SERVER_CLOSED = new Set(['server shutting down', 'server namespace disconnect']);

export interface CustomerNamespaceDeps {
  db: Kysely<Database>;
  engine: AcdEngine;
  clock: Clock;
  logger: Logger;
  resume: ResumeCredentials;
  presence: CustomerPresence;
}

/** A refused handshake: `message` is the code (as the page reads it), `data` says it to people. */
function refusal(error: unknown): Error {
  const body =
    error instanceof AppError ? { code: error.code, message: error.message } : { code: 'internal', message: 'Please try again.' };
  return Object.assign(new Error(body.code), { data: body });
}

export function registerCustomerNamespace(ns: CustomerNamespace, deps: CustomerNamespaceDeps): void {
  const { db, engine, clock, logger, resume, presence } = deps;

  ns.use((socket, next) => {
    const parsed = customerHandshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) return next(refusal(new AppError('link_not_found', 'This link is not valid')));
    const { linkToken, resume: credential } = parsed.data;
    const admitted = credential
      ? resume.check(db, linkToken, credential)
      : checkCallLink(db, linkToken, clock.now()).then((link) => {
          socket.data.link = { identity: link.identity, allow_video: link.allow_video };
          return null;
        });
    admitted
      .then((callId) => {
        socket.data.linkToken = linkToken;
        if (callId) socket.data.callId = callId;
        next();
      })
      .catch((error: unknown) => {
        if (!(error instanceof AppError)) logger.error({ err: error }, 'customer socket admission failed');
        next(refusal(error));
      });
  });

  ns.on('connection', (socket) => {
    const log = logger.child({ socketId: socket.id });
    /** The call this socket is in: resumed in the handshake, or started here. */
    let callId: string | null = null;
    /** Why the socket went away, once it has. */
    let goneBecause: string | null = null;
    refuseUnknownRequests(socket, CUSTOMER_REQUESTS);

    /** Settles (never rejects) once a resumed call is this socket's again; requests wait for it. */
    const ready = socket.data.callId
      ? takeBack(socket.data.callId).catch((error: unknown) => log.error({ err: error }, 'resuming a call failed'))
      : Promise.resolve();

    async function takeBack(id: string): Promise<void> {
      // In the call's room first, so no change made while taking it back is missed.
      await socket.join(callRoom(id));
      presence.add(id);
      try {
        await engine.customerBack(id);
        callId = id;
        log.info({ callId: id }, 'customer call resumed');
      } catch (error) {
        presence.remove(id);
        if (!(error instanceof AppError)) log.error({ err: error, callId: id }, 'resuming a call failed');
      }
      // The page learns where its call stands, ended included.
      const view = await customerCallView(db, id, { place: true });
      if (view) socket.emit('call:state', view);
    }

    async function joinOf(id: string): Promise<CustomerCallJoin> {
      const call = await db.selectFrom('call').selectAll().where('id', '=', id).executeTakeFirst();
      const view = await customerCallView(db, id, { place: true });
      if (!call || !view) throw new AppError('internal', 'call vanished');
      if (FINAL_CALL_STATES.includes(view.state)) throw new AppError('call_ended', 'This call has ended');
      return { call: view, media: await engine.joinFor(call, 'customer'), resume: await resume.issue(id) };
    }

    handle(socket, log, 'call:start', callStartSchema, async ({ media }) => {
      await ready;
      if (callId) {
        const current = await customerCallView(db, callId);
        if (current && !FINAL_CALL_STATES.includes(current.state)) throw new AppError('conflict', 'A call is already in progress');
        presence.remove(callId);
        callId = null;
      }
      // Join the call's room before the call exists, so no state pushed while it starts is lost.
      const newCallId = randomUUID();
      await socket.join(callRoom(newCallId));
      // Present from the start: the grace begins with the call, and a slow start (a busy
      // database under a burst of arrivals) must not outlast it.
      presence.add(newCallId);
      let call;
      let join;
      try {
        ({ call, join } = await engine.startCall(socket.data.linkToken ?? '', media, newCallId, socket.data.link));
      } catch (error) {
        presence.remove(newCallId);
        await socket.leave(callRoom(newCallId));
        throw error;
      }
      callId = call.id;
      log.info({ callId: call.id, conversationId: call.conversation_id }, 'customer call started');
      // The socket went away while the call was being made: it left the call it now has.
      if (goneBecause !== null) void left(call.id, goneBecause);
      const view = await customerCallView(db, call.id, { place: true });
      if (!view) throw new AppError('internal', 'call vanished');
      return { call: view, media: join, resume: await resume.issue(call.id) };
    });

    handle(socket, log, 'call:rejoin', emptySchema, async () => {
      await ready;
      if (!callId) throw new AppError('invalid_transition', 'There is no call to rejoin');
      return joinOf(callId);
    });

    handle(socket, log, 'call:digit', callDigitSchema, async ({ digit }) => {
      await ready;
      if (!callId) throw new AppError('invalid_transition', 'There is no call');
      await engine.customerKey(callId, digit);
      return null;
    });
    handle(socket, log, 'call:hangup', emptySchema, async () => {
      await ready;
      if (!callId) throw new AppError('invalid_transition', 'There is no call to hang up');
      await engine.hangUpByCustomer(callId);
      return null;
    });

    socket.on('disconnect', (reason) => {
      goneBecause = reason;
      void ready.then(() => (callId ? left(callId, reason) : undefined));
    });

    async function left(id: string, reason: string): Promise<void> {
      presence.remove(id);
      if (SERVER_CLOSED.has(reason)) return;
      try {
        if (GOODBYE.has(reason)) await engine.hangUpByCustomer(id).catch(ignoreRefusal);
        await engine.customerDisconnected(id);
      } catch (error) {
        log.error({ err: error, callId: id, reason }, 'handling a customer disconnect failed');
      }
    }
  });
}

/** A call that is already over cannot be hung up; that is no failure here. */
function ignoreRefusal(error: unknown): void {
  if (!(error instanceof AppError)) throw error;
}
