/**
 * The ACD engine: a call's life (SPEC §2–4, §7) as plain code over a database transaction.
 * Every public method runs one transaction, collects what changed, and after commit pushes
 * snapshots, closes media rooms and runs assignment for the queues that may have work.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { WRAP_UP_EXTENSION_SECONDS, type AgentChosenStatus, type CallMedia, type ConversationStatus, type MediaJoin } from '@cc/contracts';
import type { Call, Database, Timer } from '@cc/migrations';
import type { Clock } from '../clock.ts';
import { AppError, invalidTransition } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { setAgentStatus } from './agent-status.ts';
import { decideQueue } from './assignment.ts';
import { identifyCaller } from './callers.ts';
import { Changes } from './changes.ts';
import type { Trx } from './db.ts';
import type { MediaRooms } from './media.ts';
import { recordEvent, SYSTEM, type Actor } from './timeline.ts';
import { cancelTimers, fireNextDueTimer, scheduleTimer } from './timers.ts';
import {
  DEFAULT_RECONNECT_GRACE_SECONDS,
  holdReconnectGrace,
  releaseReconnectGrace,
  renewReconnectGraces,
  takeBackReconnectGrace,
} from './reconnect-grace.ts';
import { checkCallLink, consumeCallLink, type UsableCallLink } from '../call-links/links.ts';
import { Coalescer } from '../coalescer.ts';

export interface AcdDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  media: MediaRooms;
  /** Pushes what changed to connected clients; called after every commit. */
  publish(changes: Changes): Promise<void>;
  /** Asks to be woken when a timer falls due. */
  wakeAt(dueAt: Date): void;
  /** How long a call waits for a customer out of touch, in seconds; default 15. */
  customerReconnectGraceSeconds?: number;
}

/** Offers per queue per trigger; bounds the work one trigger can do. */
const MAX_ASSIGNMENTS_PER_RUN = 500;
/** Offers per decision (one transaction holding the queue's lock). */
const OFFERS_PER_DECISION = 20;
const SYSTEM_STATUSES = new Set(['ringing', 'on_call', 'on_hold', 'wrap_up']);

export class AcdEngine {
  readonly #deps: AcdDeps;
  /** Assignment passes running in this instance, by queue. */
  readonly #assigning = new Coalescer();

  constructor(deps: AcdDeps) {
    this.#deps = deps;
  }

  /** A customer starts a call from a call link (SPEC §11). */
  async startCall(linkToken: string, media: CallMedia, callId: string = randomUUID()): Promise<{ call: Call; join: MediaJoin }> {
    const preview = await checkCallLink(this.#deps.db, linkToken, this.#deps.clock.now());
    if (media === 'video' && !preview.allow_video) throw new AppError('forbidden', 'This link allows audio calls only');
    // The room exists before the call does, so a failing SFU leaves no call and no used link.
    let join: MediaJoin;
    try {
      join = await this.#deps.media.join(callId, {
        sub: customerPeerId(callId),
        name: preview.identity,
        role: 'customer',
        publish: media === 'video' ? ['audio', 'video'] : ['audio'],
      });
    } catch (error) {
      this.#deps.logger.error({ err: error, callId }, 'media room could not be opened');
      throw new AppError('media_unavailable', 'The call could not be connected. Please try again.', { cause: error });
    }
    try {
      const call = await this.#run(async (trx, changes, now) => {
        const link = await consumeCallLink(trx, linkToken, now);
        const queueId = link.queueId ?? (await defaultQueueId(trx, link.organisationId));
        const caller = await identifyCaller(trx, link.organisationId, link.identity);
        const conversationId = await conversationFor(trx, link, caller.contactId, now);
        const created = await trx
          .insertInto('call')
          .values({
            id: callId,
            organisation_id: link.organisationId,
            conversation_id: conversationId,
            queue_id: queueId,
            call_link_id: link.id,
            media,
            state: 'queued',
            target_agent_id: link.routing === 'to_sharing_agent' ? link.createdBy : null,
            room_id: callId,
            queued_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordEvent(trx, {
          organisationId: link.organisationId,
          conversationId,
          callId,
          type: 'call_queued',
          actor: { type: 'customer', id: link.identity },
          at: now,
          data: { queueId, media, callLinkId: link.id },
        });
        changes.calls.add(callId);
        changes.queues.add(queueId);
        await holdReconnectGrace(trx, changes, { id: callId, organisationId: link.organisationId }, this.#graceDue(now));
        return created;
      });
      return { call, join };
    } catch (error) {
      this.#deps.media.close(callId, 'failed').catch(() => undefined);
      throw error;
    }
  }

  /** A fresh media join for a participant of a call in progress. */
  async joinFor(call: Call, participant: { agentId: string; name: string } | 'customer'): Promise<MediaJoin> {
    const publish: ('audio' | 'video')[] = call.media === 'video' ? ['audio', 'video'] : ['audio'];
    return participant === 'customer'
      ? this.#deps.media.join(call.room_id, { sub: customerPeerId(call.id), name: 'Customer', role: 'customer', publish })
      : this.#deps.media.join(call.room_id, { sub: participant.agentId, name: participant.name, role: 'agent', publish });
  }

  /** Runs assignment for a queue until no waiting call has an eligible agent. */
  async assignQueue(queueId: string): Promise<number> {
    let offered = 0;
    while (offered < MAX_ASSIGNMENTS_PER_RUN) {
      const decision = await this.#run(
        (trx, changes, now) =>
          decideQueue(trx, queueId, now, OFFERS_PER_DECISION, (call, agentIds, ringTimeoutSeconds) =>
            offerCall(trx, changes, call, agentIds, now, ringTimeoutSeconds),
          ),
        // The next decision need not wait for this one's snapshots to reach the desktops.
        { assign: false, awaitPublish: false },
      );
      offered += decision.offered;
      if (!decision.more) break;
    }
    return offered;
  }

  async setStatus(agentId: string, status: AgentChosenStatus): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const agent = await trx.selectFrom('agent').select('status').where('user_id', '=', agentId).forUpdate().executeTakeFirstOrThrow();
      if (SYSTEM_STATUSES.has(agent.status)) {
        throw invalidTransition(agent.status === 'wrap_up' ? 'Close the wrap-up first' : 'Finish the call first');
      }
      await setAgentStatus(trx, changes, agentId, status, null, now);
    });
  }

  async answer(agentId: string, agentName: string, callId: string): Promise<MediaJoin> {
    const call = await this.#run(async (trx, changes, now) => {
      const call = await lockCall(trx, callId);
      // Answering again (a retried click) is the same answer.
      if (call.state === 'connected' && call.agent_id === agentId) return call;
      const ringing = await lockOpenOffers(trx, callId);
      if (call.state !== 'ringing' || !ringing.includes(agentId)) {
        const answeredElsewhere = call.state === 'connected' || call.state === 'on_hold';
        throw invalidTransition(answeredElsewhere ? 'Another agent answered this call' : 'This call is not ringing you');
      }
      await trx.updateTable('call').set({ state: 'connected', agent_id: agentId, answered_at: now }).where('id', '=', callId).execute();
      await closeOffer(trx, callId, agentId, 'answered', now);
      await cancelTimers(trx, callId, 'ring_timeout');
      // First answer wins (ring_all): the others stop ringing at once.
      for (const other of ringing.filter((id) => id !== agentId)) {
        await closeOffer(trx, callId, other, 'cancelled', now);
        await setAgentStatus(trx, changes, other, 'available', null, now);
        changes.notices.push({ agentId: other, notice: { level: 'info', message: 'Another agent answered the call.' } });
      }
      await trx.updateTable('conversation').set({ agent_id: agentId, updated_at: now }).where('id', '=', call.conversation_id).execute();
      await setAgentStatus(trx, changes, agentId, 'on_call', null, now);
      await recordEvent(trx, eventOf(call, 'call_answered', { type: 'agent', id: agentId }, now));
      changes.calls.add(callId);
      return call;
    });
    return this.joinFor(call, { agentId, name: agentName });
  }

  async decline(agentId: string, callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const call = await lockCall(trx, callId);
      const ringing = await lockOpenOffers(trx, callId);
      if (call.state !== 'ringing' || !ringing.includes(agentId)) throw invalidTransition('This call is not ringing you');
      await stopRinging(trx, changes, call, agentId, ringing, 'declined', now);
      await setAgentStatus(trx, changes, agentId, 'available', null, now);
      await recordEvent(trx, eventOf(call, 'call_declined', { type: 'agent', id: agentId }, now));
    });
  }

  async hangUpByAgent(agentId: string, callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const call = await lockCall(trx, callId);
      if (call.agent_id !== agentId || (call.state !== 'connected' && call.state !== 'on_hold')) {
        throw invalidTransition('This call is not in progress with you');
      }
      await endConnectedCall(trx, changes, call, 'agent_hangup', { type: 'agent', id: agentId }, now);
    });
  }

  async hangUpByCustomer(callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const call = await lockCall(trx, callId);
      const actor: Actor = { type: 'customer', id: null };
      switch (call.state) {
        case 'queued':
        case 'ringing':
          await abandon(trx, changes, call, now);
          return;
        case 'connected':
        case 'on_hold':
          await endConnectedCall(trx, changes, call, 'customer_hangup', actor, now);
          return;
        default:
          throw invalidTransition('This call has already ended');
      }
    });
  }

  async updateWrapUp(
    agentId: string,
    update: { callId: string; notes?: string; conversationStatus?: ConversationStatus; rating?: number | null },
  ): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const { call } = await lockOpenWrapUp(trx, agentId, update.callId);
      const before = await trx
        .selectFrom('conversation')
        .select(['status'])
        .where('id', '=', call.conversation_id)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('conversation')
        .set({
          ...(update.notes !== undefined ? { notes: update.notes } : {}),
          ...(update.conversationStatus !== undefined ? { status: update.conversationStatus } : {}),
          ...(update.rating !== undefined ? { rating: update.rating } : {}),
          updated_at: now,
        })
        .where('id', '=', call.conversation_id)
        .execute();
      if (update.conversationStatus !== undefined && update.conversationStatus !== before.status) {
        await recordEvent(
          trx,
          eventOf(call, 'conversation_updated', { type: 'agent', id: agentId }, now, {
            status: update.conversationStatus,
            previous: before.status,
          }),
        );
      }
      changes.agents.add(agentId);
    });
  }

  async extendWrapUp(agentId: string, callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const { call, wrapUp } = await lockOpenWrapUp(trx, agentId, callId);
      const endsAt = new Date(Math.max(wrapUp.ends_at.getTime(), now.getTime()) + WRAP_UP_EXTENSION_SECONDS * 1000);
      await trx.updateTable('wrap_up').set({ ends_at: endsAt }).where('call_id', '=', callId).execute();
      await cancelTimers(trx, callId, 'wrap_up_end');
      await scheduleTimer(trx, changes, {
        organisationId: call.organisation_id,
        kind: 'wrap_up_end',
        subjectId: callId,
        agentId,
        dueAt: endsAt,
      });
      await recordEvent(trx, eventOf(call, 'wrap_up_extended', { type: 'agent', id: agentId }, now, { endsAt: endsAt.toISOString() }));
      changes.agents.add(agentId);
    });
  }

  async endWrapUp(agentId: string, callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const { call } = await lockOpenWrapUp(trx, agentId, callId);
      await finishWrapUp(trx, changes, call, agentId, { type: 'agent', id: agentId }, now);
    });
  }

  /** A customer's socket took their call back (reconnected, or the page reloaded). Throws `call_ended` when it is over. */
  async customerBack(callId: string): Promise<void> {
    await this.#run((trx, changes, now) => takeBackReconnectGrace(trx, changes, callId, this.#graceDue(now)), { assign: false });
  }

  /** A customer's socket dropped without a goodbye: the call waits the grace period for them. */
  async customerDisconnected(callId: string): Promise<void> {
    await this.#run((trx, changes, now) => releaseReconnectGrace(trx, changes, callId, this.#graceDue(now)), { assign: false });
  }

  /** These calls' customers are connected to this instance: their graces start again from now. */
  async customersConnected(callIds: readonly string[]): Promise<void> {
    await renewReconnectGraces(this.#deps.db, callIds, this.#graceDue(this.#deps.clock.now()));
  }

  /** Fires every timer that is due now. */
  async fireDueTimers(): Promise<number> {
    let fired = 0;
    for (;;) {
      const changes = new Changes();
      const now = this.#deps.clock.now();
      const any = await fireNextDueTimer(this.#deps.db, now, (trx, timer) => this.#handleTimer(trx, changes, timer, now));
      if (!any) break;
      fired += 1;
      await this.#afterCommit(changes, true);
    }
    return fired;
  }

  async #handleTimer(trx: Trx, changes: Changes, timer: Timer, now: Date): Promise<void> {
    switch (timer.kind) {
      case 'ring_timeout': {
        const call = await lockCall(trx, timer.subject_id);
        const ringing = await lockOpenOffers(trx, call.id);
        if (call.state !== 'ringing' || !timer.agent_id || !ringing.includes(timer.agent_id)) return;
        const queue = await trx.selectFrom('queue').select(['missed_call_away']).where('id', '=', call.queue_id).executeTakeFirstOrThrow();
        await stopRinging(trx, changes, call, timer.agent_id, ringing, 'timed_out', now);
        if (queue.missed_call_away) {
          await setAgentStatus(trx, changes, timer.agent_id, 'away', 'missed call', now);
          changes.notices.push({
            agentId: timer.agent_id,
            notice: { level: 'warning', message: 'You missed a call, so your status is now Away. Set Available when you are back.' },
          });
        } else {
          await setAgentStatus(trx, changes, timer.agent_id, 'available', null, now);
        }
        await recordEvent(trx, eventOf(call, 'ring_timed_out', SYSTEM, now, { agentId: timer.agent_id }));
        return;
      }
      case 'wrap_up_end': {
        if (!timer.agent_id) return;
        const open = await trx
          .selectFrom('wrap_up')
          .select('call_id')
          .where('call_id', '=', timer.subject_id)
          .where('ended_at', 'is', null)
          .forUpdate()
          .executeTakeFirst();
        if (!open) return;
        const call = await lockCall(trx, timer.subject_id);
        await finishWrapUp(trx, changes, call, timer.agent_id, SYSTEM, now);
        return;
      }
      case 'reconnect_grace':
        await this.#customerGone(trx, changes, timer.subject_id, now);
        return;
    }
  }

  /** The reconnect grace ran out: the customer is not coming back, so the call ends as if they had left. */
  async #customerGone(trx: Trx, changes: Changes, callId: string, now: Date): Promise<void> {
    const call = await trx.selectFrom('call').selectAll().where('id', '=', callId).forUpdate().executeTakeFirst();
    switch (call?.state) {
      case 'queued':
      case 'ringing':
        await abandon(trx, changes, call, now);
        return;
      case 'connected':
      case 'on_hold':
        await endConnectedCall(trx, changes, call, 'customer_lost', SYSTEM, now);
        return;
      default:
        return; // over already, or gone
    }
  }

  #graceDue(now: Date): Date {
    return new Date(now.getTime() + (this.#deps.customerReconnectGraceSeconds ?? DEFAULT_RECONNECT_GRACE_SECONDS) * 1000);
  }

  async #run<T>(
    fn: (trx: Trx, changes: Changes, now: Date) => Promise<T>,
    options: { assign?: boolean; awaitPublish?: boolean } = {},
  ): Promise<T> {
    const changes = new Changes();
    const result = await this.#deps.db.transaction().execute((trx) => fn(trx, changes, this.#deps.clock.now()));
    await this.#afterCommit(changes, options.assign ?? true, options.awaitPublish ?? true);
    return result;
  }

  async #afterCommit(changes: Changes, assign: boolean, awaitPublish = true): Promise<void> {
    const { logger, media } = this.#deps;
    if (changes.earliestTimer) this.#deps.wakeAt(changes.earliestTimer);
    for (const [roomId, reason] of changes.roomsToClose) {
      media.close(roomId, reason).catch((error: unknown) => logger.warn({ err: error, roomId }, 'closing a media room failed'));
    }
    const published = this.#deps.publish(changes).catch((error: unknown) => logger.error({ err: error }, 'publishing changes failed'));
    if (awaitPublish) await published;
    if (!assign) return;
    // Not awaited: under a burst a queue's pass runs for as long as calls keep ringing agents,
    // and the customer's call:start or the agent's hang-up must not wait for it. Tests wait
    // for the outcome (a snapshot, a row) instead. requestAssignment logs its own failures.
    for (const queueId of changes.queues) void this.requestAssignment(queueId);
  }

  /**
   * Runs assignment for a queue, coalescing requests: while a pass runs, any number of new
   * requests for the queue make exactly one more pass after it. Resolves when a pass that
   * started after this request has finished, so the caller sees its change taken into account.
   */
  requestAssignment(queueId: string): Promise<void> {
    return this.#assigning.run(queueId, async () => {
      await this.assignQueue(queueId).catch((error: unknown) => this.#deps.logger.error({ err: error, queueId }, 'assignment failed'));
    });
  }
}

export const customerPeerId = (callId: string) => `customer:${callId}`;

function eventOf(call: Call, type: Parameters<typeof recordEvent>[1]['type'], actor: Actor, at: Date, data?: Record<string, unknown>) {
  return {
    organisationId: call.organisation_id,
    conversationId: call.conversation_id,
    callId: call.id,
    type,
    actor,
    at,
    ...(data ? { data } : {}),
  };
}

async function lockCall(trx: Trx, callId: string): Promise<Call> {
  const call = await trx.selectFrom('call').selectAll().where('id', '=', callId).forUpdate().executeTakeFirst();
  if (!call) throw new AppError('not_found', 'Call not found');
  return call;
}

async function defaultQueueId(trx: Trx, organisationId: string): Promise<string> {
  const queue = await trx
    .selectFrom('queue')
    .select('id')
    .where('organisation_id', '=', organisationId)
    .where('is_default', '=', true)
    .executeTakeFirst();
  if (!queue) throw new AppError('conflict', 'The organisation has no Default queue');
  return queue.id;
}

/** A new call joins the customer's conversation unless it is closed (SPEC §4). */
async function conversationFor(trx: Trx, link: UsableCallLink, contactId: string | null, now: Date): Promise<string> {
  if (link.conversationId) {
    const existing = await trx.selectFrom('conversation').select(['id', 'status']).where('id', '=', link.conversationId).executeTakeFirst();
    if (existing && existing.status !== 'closed') return existing.id;
  }
  const open = await trx
    .selectFrom('conversation')
    .select('id')
    .where('organisation_id', '=', link.organisationId)
    .where('customer_identity', '=', link.identity)
    .where('status', '<>', 'closed')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (open) return open.id;
  const created = await trx
    .insertInto('conversation')
    .values({
      organisation_id: link.organisationId,
      customer_identity: link.identity,
      contact_id: contactId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}

/**
 * Rings `agentIds` for a call: one open offer, one ring time-out and one timeline event each,
 * and the agents' status `ringing`. Who a call rings is its open offers; `call.agent_id` is
 * set only when one of them answers. One statement: an assignment pass makes its decisions
 * one after another, so each round trip here delays every call behind this one.
 */
async function offerCall(trx: Trx, changes: Changes, call: Call, agentIds: string[], now: Date, ringTimeoutSeconds: number): Promise<void> {
  const dueAt = new Date(now.getTime() + ringTimeoutSeconds * 1000);
  await trx
    .with('r', (qb) => qb.selectNoFrom(sql<string>`unnest(${agentIds}::uuid[])`.as('agent_id')))
    .with('ringing_call', (qb) =>
      qb.updateTable('call').set({ state: 'ringing', agent_id: null, ring_started_at: now }).where('id', '=', call.id).returning('id'),
    )
    .with('offers', (qb) =>
      qb
        .insertInto('call_offer')
        .columns(['call_id', 'agent_id', 'offered_at'])
        .expression((eb) =>
          eb.selectFrom('r').select([sql`${call.id}::uuid`.as('call_id'), 'r.agent_id', sql`${now}::timestamptz`.as('offered_at')]),
        ),
    )
    .with('members', (qb) =>
      qb.updateTable('queue_member').set({ last_offered_at: now }).where('queue_id', '=', call.queue_id).where('agent_id', 'in', agentIds),
    )
    .with('statuses', (qb) =>
      qb
        .updateTable('agent')
        .set({ status: 'ringing', status_reason: null, status_since: now })
        .where('user_id', 'in', agentIds)
        .returning(['user_id', 'organisation_id']),
    )
    .with('status_events', (qb) =>
      qb
        .insertInto('agent_status_event')
        .columns(['organisation_id', 'agent_id', 'status', 'reason', 'at'])
        .expression((eb) =>
          eb
            .selectFrom('statuses')
            .select([
              'statuses.organisation_id',
              'statuses.user_id',
              sql.lit('ringing').as('status'),
              sql`null::text`.as('reason'),
              sql`${now}::timestamptz`.as('at'),
            ]),
        ),
    )
    .with('ring_timeouts', (qb) =>
      qb
        .insertInto('timer')
        .columns(['organisation_id', 'kind', 'subject_id', 'agent_id', 'due_at'])
        .expression((eb) =>
          eb
            .selectFrom('r')
            .select([
              sql`${call.organisation_id}::uuid`.as('organisation_id'),
              sql.lit('ring_timeout').as('kind'),
              sql`${call.id}::uuid`.as('subject_id'),
              'r.agent_id',
              sql`${dueAt}::timestamptz`.as('due_at'),
            ]),
        ),
    )
    .insertInto('call_event')
    .columns(['organisation_id', 'conversation_id', 'call_id', 'type', 'actor_type', 'actor_id', 'data', 'at'])
    .expression((eb) =>
      eb
        .selectFrom('r')
        .select([
          sql`${call.organisation_id}::uuid`.as('organisation_id'),
          sql`${call.conversation_id}::uuid`.as('conversation_id'),
          sql`${call.id}::uuid`.as('call_id'),
          sql.lit('call_ringing').as('type'),
          sql.lit('system').as('actor_type'),
          sql`null::text`.as('actor_id'),
          sql`jsonb_build_object('agentId', r.agent_id)`.as('data'),
          sql`${now}::timestamptz`.as('at'),
        ]),
    )
    .execute();
  for (const agentId of agentIds) changes.agents.add(agentId);
  changes.timerScheduled(dueAt);
  changes.calls.add(call.id);
}

/** The agents a call is ringing (its open offers), locked. */
async function lockOpenOffers(trx: Trx, callId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('call_offer')
    .select('agent_id')
    .where('call_id', '=', callId)
    .where('outcome', 'is', null)
    .forUpdate()
    .execute();
  return rows.map((r) => r.agent_id);
}

/**
 * One agent's ringing ends without an answer (declined or timed out). The call keeps ringing
 * the others (ring_all); when none is left it goes back to its queue.
 */
async function stopRinging(
  trx: Trx,
  changes: Changes,
  call: Call,
  agentId: string,
  ringing: string[],
  outcome: 'declined' | 'timed_out',
  now: Date,
): Promise<void> {
  await closeOffer(trx, call.id, agentId, outcome, now);
  await cancelTimers(trx, call.id, 'ring_timeout', agentId);
  if (ringing.every((id) => id === agentId)) await requeue(trx, changes, call);
  changes.calls.add(call.id);
}

/** Puts a ringing call back in its queue, ahead of later arrivals (its arrival time is kept). */
async function requeue(trx: Trx, changes: Changes, call: Call): Promise<void> {
  await trx.updateTable('call').set({ state: 'queued', agent_id: null, ring_started_at: null }).where('id', '=', call.id).execute();
  await cancelTimers(trx, call.id, 'ring_timeout');
  changes.calls.add(call.id);
  changes.queues.add(call.queue_id);
}

async function closeOffer(
  trx: Trx,
  callId: string,
  agentId: string,
  outcome: 'answered' | 'declined' | 'timed_out' | 'cancelled',
  now: Date,
) {
  await trx
    .updateTable('call_offer')
    .set({ outcome, outcome_at: now })
    .where('call_id', '=', callId)
    .where('agent_id', '=', agentId)
    .where('outcome', 'is', null)
    .execute();
}

async function abandon(trx: Trx, changes: Changes, call: Call, now: Date): Promise<void> {
  await trx.updateTable('call').set({ state: 'abandoned', ended_at: now, end_reason: 'customer_left' }).where('id', '=', call.id).execute();
  await cancelTimers(trx, call.id, 'ring_timeout');
  for (const agentId of await lockOpenOffers(trx, call.id)) {
    await closeOffer(trx, call.id, agentId, 'cancelled', now);
    await setAgentStatus(trx, changes, agentId, 'available', null, now);
  }
  await recordEvent(
    trx,
    eventOf(call, 'call_abandoned', { type: 'customer', id: null }, now, {
      waitedSeconds: (now.getTime() - call.queued_at.getTime()) / 1000,
    }),
  );
  changes.calls.add(call.id);
  changes.roomsToClose.set(call.room_id, 'abandoned');
}

async function endConnectedCall(trx: Trx, changes: Changes, call: Call, reason: string, actor: Actor, now: Date): Promise<void> {
  await trx.updateTable('call').set({ state: 'ended', ended_at: now, end_reason: reason }).where('id', '=', call.id).execute();
  const talkSeconds = call.answered_at ? (now.getTime() - call.answered_at.getTime()) / 1000 : 0;
  await recordEvent(trx, eventOf(call, 'call_ended', actor, now, { reason, talkSeconds }));
  changes.calls.add(call.id);
  changes.roomsToClose.set(call.room_id, reason);
  if (call.agent_id) await startWrapUp(trx, changes, call, call.agent_id, now);
}

/** After every call the agent is in wrap-up for their (or the organisation's) wrap-up time (SPEC §7). */
async function startWrapUp(trx: Trx, changes: Changes, call: Call, agentId: string, now: Date): Promise<void> {
  const row = await trx
    .selectFrom('agent as a')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id')
    .select(['a.wrap_up_seconds as agentSeconds', 'o.wrap_up_seconds as orgSeconds'])
    .where('a.user_id', '=', agentId)
    .executeTakeFirstOrThrow();
  const seconds = row.agentSeconds ?? row.orgSeconds;
  if (seconds === 0) {
    await setAgentStatus(trx, changes, agentId, 'available', null, now);
    return;
  }
  const endsAt = new Date(now.getTime() + seconds * 1000);
  await trx.insertInto('wrap_up').values({ call_id: call.id, agent_id: agentId, started_at: now, ends_at: endsAt }).execute();
  await scheduleTimer(trx, changes, {
    organisationId: call.organisation_id,
    kind: 'wrap_up_end',
    subjectId: call.id,
    agentId,
    dueAt: endsAt,
  });
  await setAgentStatus(trx, changes, agentId, 'wrap_up', null, now);
  await recordEvent(trx, eventOf(call, 'wrap_up_started', SYSTEM, now, { agentId, endsAt: endsAt.toISOString() }));
}

async function lockOpenWrapUp(trx: Trx, agentId: string, callId: string) {
  const wrapUp = await trx
    .selectFrom('wrap_up')
    .selectAll()
    .where('call_id', '=', callId)
    .where('agent_id', '=', agentId)
    .where('ended_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!wrapUp) throw invalidTransition('There is no wrap-up in progress for this call');
  const call = await lockCall(trx, callId);
  return { wrapUp, call };
}

async function finishWrapUp(trx: Trx, changes: Changes, call: Call, agentId: string, actor: Actor, now: Date): Promise<void> {
  await trx.updateTable('wrap_up').set({ ended_at: now }).where('call_id', '=', call.id).execute();
  await cancelTimers(trx, call.id, 'wrap_up_end');
  await setAgentStatus(trx, changes, agentId, 'available', null, now);
  await recordEvent(trx, eventOf(call, 'wrap_up_ended', actor, now, { agentId }));
}
