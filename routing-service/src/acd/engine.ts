/**
 * The ACD engine: a call's life (SPEC §2–4, §7) as plain code over a database transaction.
 * Every public method runs one transaction, collects what changed, and after commit pushes
 * snapshots, closes media rooms and runs assignment for the queues that may have work.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  WRAP_UP_EXTENSION_SECONDS,
  type AgentChosenStatus,
  type CallTransferRequest,
  type TransferTargets,
  type CallMedia,
  type ConversationStatus,
  type MediaJoin,
} from '@cc/contracts';
import type { Call, Database } from '@cc/migrations';
import type { Clock } from '../clock.ts';
import { AppError, invalidTransition } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { setAgentStatus } from './agent-status.ts';
import { decideQueue } from './assignment.ts';
import { identifyCaller } from './callers.ts';
import { Changes } from './changes.ts';
import { constant, type Trx } from './db.ts';
import type { MediaRooms } from './media.ts';
import { freezeRecordingSettings, type CallRecordings } from './recordings.ts';
import { eventOf, lockCall } from './calls.ts';
import { closeOffer, lockOpenOffers, offerCall, stopRinging } from './ringing.ts';
import { eventRow, recordEvent, type Actor } from './timeline.ts';
import { endConnectedCall, finishWrapUp, lockOpenWrapUp } from './wrap-up.ts';
import { cancelTimers, fireNextDueTimer, scheduleTimer } from './timers.ts';
import { playToCustomer } from './customer-audio.ts';
import { pressKey } from './response-codes.ts';
import { hold, resume } from './hold.ts';
import { transfer, transferTargets } from './transfer.ts';
import { closedForCall, queueEntry, startWaiting, stopWaiting } from './waiting.ts';
import { handleTimer } from './timer-events.ts';
import { customerLeftWaiting } from './voicemail.ts';
import {
  DEFAULT_RECONNECT_GRACE_SECONDS,
  holdReconnectGrace,
  releaseReconnectGrace,
  renewReconnectGraces,
  takeBackReconnectGrace,
} from './reconnect-grace.ts';
import { checkCallLink, consumeCallLink, type CheckedCallLink, type UsableCallLink } from '../call-links/links.ts';
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
  /** Recording (SPEC §13), told after commit when calls connect and end; none: calls are not recorded. */
  recordings?: CallRecordings;
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
  async startCall(
    linkToken: string,
    media: CallMedia,
    callId: string = randomUUID(),
    checked?: CheckedCallLink,
  ): Promise<{ call: Call; join: MediaJoin }> {
    const preview = checked ?? (await checkCallLink(this.#deps.db, linkToken, this.#deps.clock.now()));
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
        const entry = await queueEntry(trx, link.organisationId, link.queueId);
        if (!entry) throw new AppError('conflict', 'The organisation has no Default queue');
        const queueId = entry.queueId;
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
        await freezeRecordingSettings(trx, { id: callId, organisationId: link.organisationId, direction: 'inbound' }, now);
        await holdReconnectGrace(trx, changes, { id: callId, organisationId: link.organisationId }, this.#graceDue(now));
        // Outside working hours the call is not queued for agents: the away message plays, then it ends.
        if (!(await closedForCall(trx, changes, created, entry, now))) await startWaiting(trx, changes, created, entry);
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
        (trx, changes) =>
          decideQueue(
            trx,
            queueId,
            () => this.#deps.clock.now(),
            OFFERS_PER_DECISION,
            (call, agentIds, ringTimeoutSeconds, now) => offerCall(trx, changes, call, agentIds, now, ringTimeoutSeconds),
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
      // One statement: the call connects (taking its next playback version: the waiting music
      // stops), this agent's offer is answered, the ring and maximum-wait timers go, the
      // conversation is the agent's, and the timeline says so.
      const { playback_version: playbackVersion } = await trx
        .with('answered_offer', (qb) =>
          qb
            .updateTable('call_offer')
            .set({ outcome: 'answered', outcome_at: now })
            .where('call_id', '=', callId)
            .where('agent_id', '=', agentId)
            .where('outcome', 'is', null),
        )
        .with('timers', (qb) =>
          qb
            .deleteFrom('timer')
            .where('subject_id', '=', callId)
            .where('kind', 'in', ['ring_timeout', 'max_wait'] as const),
        )
        .with('owner', (qb) =>
          qb.updateTable('conversation').set({ agent_id: agentId, updated_at: now }).where('id', '=', call.conversation_id),
        )
        .with('event', (qb) =>
          qb.insertInto('call_event').values(eventRow(eventOf(call, 'call_answered', { type: 'agent', id: agentId }, now))),
        )
        .updateTable('call')
        .set((eb) => ({
          state: 'connected',
          agent_id: agentId,
          answered_at: now,
          transfer_from_agent_id: null,
          transfer_from_queue_id: null,
          playback_version: eb('playback_version', '+', 1),
        }))
        .where('id', '=', callId)
        .returning('playback_version')
        .executeTakeFirstOrThrow();
      stopWaiting(changes, call, playbackVersion);
      // First answer wins (ring_all): the others stop ringing at once.
      for (const other of ringing.filter((id) => id !== agentId)) {
        await closeOffer(trx, callId, other, 'cancelled', now);
        await setAgentStatus(trx, changes, other, 'available', null, now);
        changes.notices.push({ agentId: other, notice: { level: 'info', message: 'Another agent answered the call.' } });
      }
      await setAgentStatus(trx, changes, agentId, 'on_call', null, now);
      changes.calls.add(callId);
      changes.segmentsStarted.add(callId);
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

  async hold(agentId: string, callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => hold(trx, changes, await lockCall(trx, callId), agentId, now), { assign: false });
  }

  async resume(agentId: string, callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => resume(trx, changes, await lockCall(trx, callId), agentId, now), { assign: false });
  }

  async transferTargets(agentId: string, callId: string): Promise<TransferTargets> {
    const call = await this.#deps.db.selectFrom('call').selectAll().where('id', '=', callId).executeTakeFirst();
    if (!call) throw invalidTransition('This call is not in progress with you');
    return transferTargets(this.#deps.db, call, agentId);
  }

  async transfer(agentId: string, request: CallTransferRequest): Promise<void> {
    await this.#run(async (trx, changes, now) => transfer(trx, changes, await lockCall(trx, request.callId), agentId, request.to, now));
  }

  /** A key of the customer's keypad: a response code's action, or refused when the key does nothing now. */
  async customerKey(callId: string, digit: string): Promise<void> {
    await this.#run(async (trx, changes, now) => pressKey(trx, changes, await lockCall(trx, callId), digit, now));
  }

  async hangUpByCustomer(callId: string): Promise<void> {
    await this.#run(async (trx, changes, now) => {
      const call = await lockCall(trx, callId);
      const actor: Actor = { type: 'customer', id: null };
      switch (call.state) {
        case 'queued':
        case 'ringing':
          await customerLeftWaiting(trx, changes, call, actor, now);
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
      await trx.updateTable('wrap_up').set({ ends_at: endsAt }).where('call_id', '=', callId).where('agent_id', '=', agentId).execute();
      await cancelTimers(trx, callId, 'wrap_up_end', agentId);
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
      const any = await fireNextDueTimer(this.#deps.db, now, (trx, timer) => handleTimer(trx, changes, timer, now));
      if (!any) break;
      fired += 1;
      await this.#afterCommit(changes, true);
    }
    return fired;
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
      this.#deps.recordings?.ended(roomId);
    }
    for (const [callId, intent] of changes.playbacks) void playToCustomer(this.#deps, customerPeerId(callId), intent);
    // A segment's end is queued before the next one's start (the recorder keeps each call's order).
    for (const callId of changes.segmentsEnded) this.#deps.recordings?.segmentEnded(callId);
    for (const callId of changes.segmentsStarted) this.#deps.recordings?.connected(callId);
    for (const callId of changes.voicemails) this.#deps.recordings?.voicemail(callId);
    const published = this.#deps.publish(changes).catch((error: unknown) => logger.error({ err: error }, 'publishing changes failed'));
    if (awaitPublish) await published;
    if (!assign) return;
    // Not awaited: under a burst a queue's pass runs for as long as calls keep ringing agents,
    // and the customer's call:start or the agent's hang-up must not wait for it. Tests wait
    // for the outcome (a snapshot, a row) instead. requestAssignment logs its own failures.
    for (const queueId of changes.queues) void this.requestAssignment(queueId);
  }

  /**
   * Acts on a change committed outside the engine (the supervisor console): pushes it to the
   * desktops and live views it touched, and runs assignment where a waiting call may now
   * ring. Resolves when both are done, so the console's answer reflects the new state.
   */
  async committed(changes: Changes): Promise<void> {
    await this.#afterCommit(changes, false);
    await Promise.all([...changes.queues].map((queueId) => this.requestAssignment(queueId)));
  }

  /**
   * Runs assignment for every queue with a call waiting for an agent. Events start passes
   * (SPEC §3); this catches what they cannot: a pass passes over a call or an agent another
   * transaction holds at that moment (SKIP LOCKED), and that transaction need not start one.
   * Every instance sweeps; passes are one per queue at a time anyway. Resolves with the queues swept.
   */
  async sweepAssignment(): Promise<number> {
    const queues = await this.#deps.db
      .selectFrom('call')
      .select('queue_id')
      .distinct()
      .where('state', '=', constant('queued'))
      .where('waiting_ends_at', 'is', null)
      .execute();
    await Promise.all(queues.map((q) => this.requestAssignment(q.queue_id)));
    return queues.length;
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
