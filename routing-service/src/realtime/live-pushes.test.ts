/**
 * "Today" in the live view starts over at the organisation's midnight (SPEC §14: answered and
 * abandoned today, service level): a wall display left open overnight gets a fresh view then,
 * with no call or agent changing. The service runs on a clock the test moves, so midnight comes
 * when the test says, not after a real wait.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LiveView } from '@cc/contracts';
import { TestClock } from '../testing/clock.ts';
import { insertCall } from '../testing/calls.ts';
import { login, seed, startTestContext, SupervisorClient, type TestContext } from '../testing/context.ts';

const at = (iso: string) => new Date(iso);
const clock = new TestClock(at('2026-06-15T11:00:00Z'));
let ctx: TestContext;
let closed = false;
before(async () => {
  ctx = await startTestContext({ clock });
});
after(async () => {
  if (!closed) await ctx.close();
});

/** An organisation in `timeZone` with a supervisor, and a call answered at `answeredAt` (queued 5 s before). */
async function organisation(timeZone: string, answeredAt: Date) {
  const org = await seed(ctx, {
    agents: [
      { role: 'supervisor', name: 'Sam' },
      { role: 'supervisor', name: 'Kim' },
    ],
  });
  await ctx.t.db.updateTable('organisation').set({ time_zone: timeZone }).where('id', '=', org.organisationId).execute();
  await insertCall(ctx.t.db, {
    organisationId: org.organisationId,
    queueId: org.defaultQueueId,
    state: 'ended',
    queued_at: new Date(answeredAt.getTime() - 5_000),
    answered_at: answeredAt,
    ended_at: answeredAt,
  });
  const [first = '', second = ''] = org.emails;
  return { ...org, supervisors: [await login(ctx, first), await login(ctx, second)] as const };
}

const answeredToday = (view: LiveView) => view.queues.find((q) => q.name === 'Default')?.answeredToday;
const hasAlarm = (instant: Date) => (alarms: Date[]) => alarms.some((a) => a.getTime() === instant.getTime());

test("a connected live view gets a fresh view at the organisation's midnight (Pacific/Auckland), and at the next one", async () => {
  // 23:50 on 15 June in Auckland (UTC+12): answered today until midnight, 12:00 UTC.
  const org = await organisation('Pacific/Auckland', at('2026-06-15T11:50:00Z'));
  const midnight = at('2026-06-15T12:00:00Z');
  const nextMidnight = at('2026-06-16T12:00:00Z');
  clock.set(at('2026-06-15T11:59:59Z'));
  const supervisor = await SupervisorClient.connect(ctx, org.supervisors[0]);
  try {
    assert.equal(answeredToday(supervisor.views[0] ?? ({} as LiveView)), 1);
    await clock.waitForAlarms(hasAlarm(midnight));

    clock.set(midnight);
    const fresh = await supervisor.waitFor((v) => v.generatedAt === midnight.toISOString(), 5_000);
    assert.equal(answeredToday(fresh), 0, "yesterday's call no longer counts");
    assert.equal(fresh.queues.find((q) => q.name === 'Default')?.serviceLevel, null);
    assert.equal(supervisor.views.length, 2, 'one push at midnight, none before');

    // Re-armed for the next local midnight, read from the zone again.
    const alarms = await clock.waitForAlarms(hasAlarm(nextMidnight));
    assert.ok(!hasAlarm(midnight)(alarms));
    clock.set(nextMidnight);
    await supervisor.waitFor((v) => v.generatedAt === nextMidnight.toISOString(), 5_000);
  } finally {
    supervisor.close();
  }
});

test('one alarm per organisation however many supervisors watch, each at its own midnight, gone when the last one leaves', async () => {
  // 23:00 on 17 June in Auckland; 11:00 in a UTC organisation.
  clock.set(at('2026-06-17T11:00:00Z'));
  const auckland = await organisation('Pacific/Auckland', at('2026-06-17T10:00:00Z'));
  const utc = await organisation('UTC', at('2026-06-17T10:00:00Z'));
  const aucklandMidnight = at('2026-06-17T12:00:00Z');
  const utcMidnight = at('2026-06-18T00:00:00Z');
  const watching = [
    await SupervisorClient.connect(ctx, auckland.supervisors[0]),
    await SupervisorClient.connect(ctx, auckland.supervisors[1]),
    await SupervisorClient.connect(ctx, utc.supervisors[0]),
  ];
  try {
    // Exactly these two: the second Auckland supervisor adds none.
    await clock.waitForAlarms((a) => a.length === 2 && hasAlarm(aucklandMidnight)(a) && hasAlarm(utcMidnight)(a));
  } finally {
    for (const s of watching) s.close();
  }
  await clock.waitForAlarms((a) => a.length === 0);
});

test('closing the service cancels the midnight alarms', async () => {
  const org = await organisation('UTC', at('2026-06-17T10:00:00Z'));
  const supervisor = await SupervisorClient.connect(ctx, org.supervisors[0]);
  await clock.waitForAlarms((a) => a.length === 1);
  closed = true;
  await ctx.close();
  assert.deepEqual(clock.alarms, []);
  supervisor.close();
});
