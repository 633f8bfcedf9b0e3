/**
 * The supervisor's live view (SPEC §14): per-queue counts, today's service level in the
 * organisation's time zone, per-agent status, and the `/supervisor` namespace that pushes it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Socket } from 'socket.io-client';
import type { CallState, LiveQueue, LiveView } from '@cc/contracts';
import { insertCall as insertCallRow } from '../testing/calls.ts';
import { ack, login, seed, startTestContext, SupervisorClient, type SupervisorSocket, type TestContext } from '../testing/context.ts';
import { liveView, nextMidnight } from './live-view.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

const at = (iso: string) => new Date(iso);
const secondsBefore = (instant: Date, s: number) => new Date(instant.getTime() - s * 1000);
const secondsAfter = (instant: Date, s: number) => new Date(instant.getTime() + s * 1000);

/** A call as the engine would have left it, inserted directly to build a known state. */
async function insertCall(
  org: { organisationId: string },
  queueId: string,
  call: { state: CallState; queuedAt: Date; answeredAfterSeconds?: number; endedAt?: Date },
): Promise<void> {
  await insertCallRow(ctx.t.db, {
    organisationId: org.organisationId,
    queueId,
    state: call.state,
    queued_at: call.queuedAt,
    answered_at: call.answeredAfterSeconds === undefined ? null : secondsAfter(call.queuedAt, call.answeredAfterSeconds),
    ended_at: call.endedAt ?? null,
  });
}

async function addQueue(org: { organisationId: string }, name: string, serviceLevelSeconds = 20): Promise<string> {
  const row = await ctx.t.db
    .insertInto('queue')
    .values({ organisation_id: org.organisationId, name, service_level_seconds: serviceLevelSeconds })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

function queueNamed(view: LiveView, name: string): LiveQueue {
  const queue = view.queues.find((q) => q.name === name);
  assert.ok(queue, `no queue ${name} in ${JSON.stringify(view.queues.map((q) => q.name))}`);
  return queue;
}

describe('live view counts (SPEC §14)', () => {
  test('per queue: waiting, longest wait, in progress, answered/abandoned today, service level, agents by status', async () => {
    const org = await seed(ctx, {
      agents: [
        { name: 'Ada', status: 'available' },
        { name: 'Bo', status: 'busy' },
        { name: 'Sue', role: 'supervisor', status: 'offline' },
      ],
    });
    const [ada, bo] = org.ids;
    const sales = await addQueue(org, 'Sales', 30);
    const quiet = await addQueue(org, 'Quiet');
    await ctx.t.db
      .insertInto('queue_member')
      .values({ queue_id: sales, agent_id: bo ?? '' })
      .execute();
    await ctx.t.db
      .updateTable('agent')
      .set({ status_reason: 'lunch' })
      .where('user_id', '=', bo ?? '')
      .execute();
    const now = at('2026-06-15T12:00:00Z');
    const q = org.defaultQueueId;

    // Waiting: the oldest arrived 90 s ago.
    await insertCall(org, q, { state: 'queued', queuedAt: secondsBefore(now, 90) });
    await insertCall(org, q, { state: 'queued', queuedAt: secondsBefore(now, 30) });
    // In progress: ringing, connected and on hold (the last two answered within 20 s).
    await insertCall(org, q, { state: 'ringing', queuedAt: secondsBefore(now, 10) });
    await insertCall(org, q, { state: 'connected', queuedAt: secondsBefore(now, 300), answeredAfterSeconds: 5 });
    await insertCall(org, q, { state: 'on_hold', queuedAt: secondsBefore(now, 240), answeredAfterSeconds: 12 });
    // Ended today: one answered at exactly 20 s (within), one after 45 s; one abandoned.
    await insertCall(org, q, { state: 'ended', queuedAt: secondsBefore(now, 3600), answeredAfterSeconds: 20, endedAt: now });
    await insertCall(org, q, { state: 'ended', queuedAt: secondsBefore(now, 7200), answeredAfterSeconds: 45, endedAt: now });
    await insertCall(org, q, { state: 'abandoned', queuedAt: secondsBefore(now, 1800), endedAt: secondsBefore(now, 1700) });
    // Yesterday (UTC, the organisation's default time zone): not today.
    await insertCall(org, q, { state: 'ended', queuedAt: at('2026-06-14T23:59:00Z'), answeredAfterSeconds: 60, endedAt: now });
    await insertCall(org, q, { state: 'abandoned', queuedAt: at('2026-06-14T23:00:00Z'), endedAt: at('2026-06-14T23:01:00Z') });
    // Sales answers after 25 s, within its own 30 s threshold.
    await insertCall(org, sales, { state: 'ended', queuedAt: secondsBefore(now, 600), answeredAfterSeconds: 25, endedAt: now });

    const view = await liveView(ctx.t.db, org.organisationId, now);
    assert.equal(view.organisationId, org.organisationId);
    assert.equal(view.generatedAt, now.toISOString());
    assert.deepEqual(
      view.queues.map((x) => x.name),
      ['Default', 'Quiet', 'Sales'],
    );

    const main = queueNamed(view, 'Default');
    assert.equal(main.callsWaiting, 2);
    assert.equal(main.longestWaitSeconds, 90);
    assert.equal(main.callsInProgress, 3);
    assert.equal(main.answeredToday, 4);
    assert.equal(main.abandonedToday, 1);
    assert.equal(main.serviceLevelSeconds, 20);
    // 3 answered within 20 s ÷ (4 answered + 1 abandoned).
    assert.equal(main.serviceLevel, 0.6);
    assert.deepEqual(main.agentsByStatus, {
      available: 1,
      busy: 1,
      away: 0,
      offline: 1,
      ringing: 0,
      on_call: 0,
      on_hold: 0,
      wrap_up: 0,
    });

    const salesView = queueNamed(view, 'Sales');
    assert.equal(salesView.serviceLevelSeconds, 30);
    assert.equal(salesView.serviceLevel, 1);
    assert.equal(salesView.answeredToday, 1);
    assert.equal(salesView.callsWaiting, 0);
    assert.equal(salesView.longestWaitSeconds, 0);
    assert.equal(salesView.agentsByStatus.busy, 1);
    assert.equal(salesView.agentsByStatus.available, 0);

    const quietView = queueNamed(view, 'Quiet');
    assert.equal(quietView.serviceLevel, null, 'no calls today: no service level');
    assert.equal(quietView.answeredToday, 0);
    assert.ok(Object.values(quietView.agentsByStatus).every((n) => n === 0));
    assert.equal(quietView.queueId, quiet);

    assert.deepEqual(
      view.agents.map((a) => [a.name, a.status, a.statusReason]),
      [
        ['Ada', 'available', null],
        ['Bo', 'busy', 'lunch'],
        ['Sue', 'offline', null],
      ],
    );
    assert.deepEqual(view.agents.find((a) => a.agentId === ada)?.queueIds, [q]);
    assert.deepEqual(view.agents.find((a) => a.agentId === bo)?.queueIds.toSorted(), [q, sales].toSorted());
    assert.ok(view.agents.every((a) => !Number.isNaN(Date.parse(a.statusSince))));
  });

  test("'today' starts at midnight in the organisation's time zone (Pacific/Auckland)", async () => {
    const org = await seed(ctx, { agents: [{}] });
    await ctx.t.db.updateTable('organisation').set({ time_zone: 'Pacific/Auckland' }).where('id', '=', org.organisationId).execute();
    // 12:30 UTC on 15 June is 00:30 on 16 June in Auckland (UTC+12 in winter): today began at 12:00 UTC.
    const now = at('2026-06-15T12:30:00Z');
    // 23:50 yesterday in Auckland, though "today" in UTC: answered within 20 s, not counted.
    await insertCall(org, org.defaultQueueId, {
      state: 'ended',
      queuedAt: at('2026-06-15T11:50:00Z'),
      answeredAfterSeconds: 5,
      endedAt: now,
    });
    // 00:10 today in Auckland: abandoned.
    await insertCall(org, org.defaultQueueId, { state: 'abandoned', queuedAt: at('2026-06-15T12:10:00Z'), endedAt: now });

    const auckland = queueNamed(await liveView(ctx.t.db, org.organisationId, now), 'Default');
    assert.equal(auckland.answeredToday, 0);
    assert.equal(auckland.abandonedToday, 1);
    assert.equal(auckland.serviceLevel, 0);

    // The same calls in a UTC organisation are both today.
    await ctx.t.db.updateTable('organisation').set({ time_zone: 'UTC' }).where('id', '=', org.organisationId).execute();
    const utc = queueNamed(await liveView(ctx.t.db, org.organisationId, now), 'Default');
    assert.equal(utc.answeredToday, 1);
    assert.equal(utc.serviceLevel, 0.5);
  });

  test("the next day begins at the organisation's next local midnight, 23 or 25 hours away on a daylight-saving day", async () => {
    const org = await seed(ctx, { agents: [{}] });
    await ctx.t.db.updateTable('organisation').set({ time_zone: 'Europe/London' }).where('id', '=', org.organisationId).execute();
    const next = (iso: string) => nextMidnight(ctx.t.db, org.organisationId, at(iso));
    // Winter: London is on UTC.
    assert.deepEqual(await next('2026-03-28T12:00:00Z'), at('2026-03-29T00:00:00Z'));
    // 29 March 2026 springs forward at 01:00: a 23-hour day, so the next one begins at 23:00 UTC.
    assert.deepEqual(await next('2026-03-29T00:00:00Z'), at('2026-03-29T23:00:00Z'));
    assert.deepEqual(await next('2026-03-29T22:59:59.999Z'), at('2026-03-29T23:00:00Z'));
    // At midnight itself a new day has begun: the next midnight is the one after.
    assert.deepEqual(await next('2026-03-29T23:00:00Z'), at('2026-03-30T23:00:00Z'));
    // 25 October 2026 falls back at 02:00: it began at 23:00 UTC the day before and lasts 25 hours.
    assert.deepEqual(await next('2026-10-24T23:00:00Z'), at('2026-10-26T00:00:00Z'));

    await ctx.t.db.updateTable('organisation').set({ time_zone: 'Pacific/Auckland' }).where('id', '=', org.organisationId).execute();
    assert.deepEqual(await next('2026-06-15T11:59:59Z'), at('2026-06-15T12:00:00Z'));
    assert.equal(await nextMidnight(ctx.t.db, randomUUID(), at('2026-06-15T11:59:59Z')), null);
  });
});

function connectError(socket: SupervisorSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected, but should have been refused')));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

describe('the /supervisor namespace pushes the live view (SPEC §14: updates push in real time)', () => {
  test('a supervisor gets the view on connect and again within 2 s of an agent changing status', async () => {
    const org = await seed(ctx, {
      agents: [
        { name: 'Ada', status: 'offline' },
        { name: 'Sue', role: 'supervisor', status: 'offline' },
      ],
    });
    const [ada] = org.ids;
    const supervisor = await SupervisorClient.connect(ctx, await login(ctx, org.emails[1] ?? ''));
    try {
      const first = supervisor.views[0];
      assert.equal(first?.organisationId, org.organisationId);
      assert.equal(first.agents.find((a) => a.agentId === ada)?.status, 'offline');
      assert.equal(queueNamed(first, 'Default').agentsByStatus.offline, 2);

      const changedAt = Date.now();
      await ctx.service.engine.setStatus(ada ?? '', 'available');
      const pushed = await supervisor.waitFor((v) => v.agents.find((a) => a.agentId === ada)?.status === 'available', 2_000);
      assert.ok(Date.now() - changedAt < 2_000);
      assert.equal(queueNamed(pushed, 'Default').agentsByStatus.available, 1);

      // A burst of changes collapses into a few pushes, the last of which has the final state.
      const before = supervisor.views.length;
      for (const status of ['busy', 'away', 'busy', 'away', 'busy', 'away', 'busy', 'away', 'busy', 'available'] as const) {
        await ctx.service.engine.setStatus(ada ?? '', status);
      }
      await supervisor.waitFor(
        (v) => v.agents.find((a) => a.agentId === ada)?.status === 'available' && supervisor.views.indexOf(v) >= before,
        2_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 400)); // any trailing push would have gone out by now
      assert.ok(supervisor.views.length - before <= 5, `10 changes gave ${supervisor.views.length - before} pushes`);
      assert.equal(supervisor.views.at(-1)?.agents.find((a) => a.agentId === ada)?.status, 'available');

      const got = await ack(supervisor.socket, 'live:get', {});
      assert.ok(got.ok);
      assert.equal((got.data as LiveView).organisationId, org.organisationId);

      assert.deepEqual(await ack(supervisor.socket as unknown as Socket, 'queue:delete', {}), {
        ok: false,
        error: { code: 'bad_request', message: 'Unknown request: queue:delete' },
      });
      const bad = await ack(supervisor.socket, 'live:get', { all: true });
      assert.equal(bad.ok ? 'ok' : bad.error.code, 'bad_request');
    } finally {
      supervisor.close();
    }
  });

  test('another organisation’s supervisor gets no view of it', async () => {
    const mine = await seed(ctx, { agents: [{ name: 'Ada' }, { role: 'supervisor' }] });
    const theirs = await seed(ctx, { agents: [{ role: 'supervisor' }] });
    const own = await SupervisorClient.connect(ctx, await login(ctx, mine.emails[1] ?? ''));
    const other = await SupervisorClient.connect(ctx, await login(ctx, theirs.emails[0] ?? ''));
    try {
      await ctx.service.engine.setStatus(mine.ids[0] ?? '', 'away');
      // Once the organisation's own supervisor has the change, the other's push would have come too.
      await own.waitFor((v) => v.agents.some((a) => a.agentId === mine.ids[0] && a.status === 'away'));
      await ack(other.socket, 'live:get', {});
      assert.equal(other.views.length, 1, 'only the view on connect');
      assert.equal(other.views[0]?.organisationId, theirs.organisationId);
      assert.ok(other.views.every((v) => v.agents.every((a) => !mine.ids.includes(a.agentId))));
    } finally {
      own.close();
      other.close();
    }
  });

  test('an agent, or no session, is refused', async () => {
    const org = await seed(ctx, { agents: [{}] });
    const agentSocket = SupervisorClient.open(ctx, await login(ctx, org.emails[0] ?? ''));
    assert.equal(await connectError(agentSocket), 'forbidden');
    agentSocket.close();
    const anonymous = SupervisorClient.open(ctx, null);
    assert.equal(await connectError(anonymous), 'unauthenticated');
    anonymous.close();
  });
});
