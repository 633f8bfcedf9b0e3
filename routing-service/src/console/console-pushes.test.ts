/**
 * Console changes reach the people watching at once (SPEC §14: the live view's updates push
 * in real time; the agent desktop lists the agent's queues with their tiers): with no call or
 * agent changing, a supervisor's live view and the touched agents' desktops get a fresh push.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AgentSnapshot, LiveView, QueueDetail } from '@cc/contracts';
import { AgentClient, api, login, seed, startTestContext, SupervisorClient, type TestContext } from '../testing/context.ts';

/** Long enough for a throttled push (250 ms) on a slow machine, short enough to fail fast. */
const PUSHED_WITHIN_MS = 3_000;

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

/** An organisation with a supervisor and two agents; Default has AAA off so nothing rings by itself. */
async function center() {
  const org = await seed(ctx, {
    agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Alex Agent' }, { name: 'Blake Agent' }],
  });
  await ctx.t.db.updateTable('queue').set({ aaa_enabled: false }).where('id', '=', org.defaultQueueId).execute();
  const [supervisorEmail = '', alexEmail = '', blakeEmail = ''] = org.emails;
  const [, alexId = '', blakeId = ''] = org.ids;
  return {
    ...org,
    alexId,
    blakeId,
    supervisor: await login(ctx, supervisorEmail),
    alex: await login(ctx, alexEmail),
    blake: await login(ctx, blakeEmail),
  };
}

/** Sends a console request and checks it succeeded. */
async function change<T>(cookie: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await api<T>(ctx, cookie, method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The next view pushed after the ones already seen. */
function nextView(supervisor: SupervisorClient): Promise<LiveView> {
  const seen = supervisor.views.length;
  return supervisor.waitFor((v) => supervisor.views.indexOf(v) >= seen, PUSHED_WITHIN_MS);
}

const listed = (s: AgentSnapshot, queueId: string) => s.queues.find((q) => q.id === queueId);

test("a supervisor's live view shows each console change without any call or agent changing", async () => {
  const c = await center();
  const supervisor = await SupervisorClient.connect(ctx, c.supervisor);
  try {
    const defaultQueue = (v: LiveView) => v.queues.find((q) => q.queueId === c.defaultQueueId);

    await change(c.supervisor, 'PATCH', `/console/queues/${c.defaultQueueId}`, { name: 'General' });
    await supervisor.waitFor((v) => defaultQueue(v)?.name === 'General', PUSHED_WITHIN_MS);

    await change(c.supervisor, 'PATCH', `/console/queues/${c.defaultQueueId}`, { serviceLevelSeconds: 45 });
    await supervisor.waitFor((v) => defaultQueue(v)?.serviceLevelSeconds === 45, PUSHED_WITHIN_MS);

    const sales = await change<QueueDetail>(c.supervisor, 'POST', '/console/queues', { name: 'Sales' });
    await supervisor.waitFor((v) => v.queues.some((q) => q.queueId === sales.id), PUSHED_WITHIN_MS);

    await change(c.supervisor, 'PUT', `/console/queues/${sales.id}/members`, [{ agentId: c.alexId, priority: 1 }]);
    await supervisor.waitFor(
      (v) =>
        v.queues.find((q) => q.queueId === sales.id)?.agentsByStatus.available === 1 &&
        !!v.agents.find((a) => a.agentId === c.alexId)?.queueIds.includes(sales.id),
      PUSHED_WITHIN_MS,
    );

    await change(c.supervisor, 'DELETE', `/console/queues/${sales.id}`);
    await supervisor.waitFor((v) => !v.queues.some((q) => q.queueId === sales.id), PUSHED_WITHIN_MS);

    // Changes the view does not show still push one, through the same path.
    let pushed = nextView(supervisor);
    await change(c.supervisor, 'PATCH', `/console/queues/${c.defaultQueueId}`, { strategy: 'round_robin', aaaEnabled: true });
    await pushed;
    pushed = nextView(supervisor);
    await change(c.supervisor, 'PATCH', `/console/agents/${c.alexId}`, { capacity: 9, wrapUpSeconds: 30 });
    await pushed;
    pushed = nextView(supervisor);
    await change(c.supervisor, 'PUT', '/settings', { ringTimeoutSeconds: 12, wrapUpSeconds: 15 });
    await pushed;
  } finally {
    supervisor.close();
  }
});

test('an agent added to a queue sees it on the desktop with its tier, follows its renames, and one removed no longer sees it', async () => {
  const c = await center();
  const alex = await AgentClient.connect(ctx, c.alex);
  const blake = await AgentClient.connect(ctx, c.blake);
  try {
    const sales = await change<QueueDetail>(c.supervisor, 'POST', '/console/queues', { name: 'Sales' });
    const members = `/console/queues/${sales.id}/members`;

    await change(c.supervisor, 'PUT', members, [{ agentId: c.alexId, priority: 2 }]);
    await alex.waitFor((s) => listed(s, sales.id)?.priority === 2, PUSHED_WITHIN_MS);

    await change(c.supervisor, 'PUT', members, [
      { agentId: c.alexId, priority: 1 },
      { agentId: c.blakeId, priority: 3 },
    ]);
    await alex.waitFor((s) => listed(s, sales.id)?.priority === 1, PUSHED_WITHIN_MS);
    await blake.waitFor((s) => listed(s, sales.id)?.priority === 3, PUSHED_WITHIN_MS);

    await change(c.supervisor, 'PUT', members, [{ agentId: c.blakeId, priority: 3 }]);
    await alex.waitFor((s) => !listed(s, sales.id), PUSHED_WITHIN_MS);
    assert.ok(alex.snapshot && listed(alex.snapshot, c.defaultQueueId), 'still in Default');

    await change(c.supervisor, 'PATCH', `/console/queues/${sales.id}`, { name: 'Sales EMEA' });
    await blake.waitFor((s) => listed(s, sales.id)?.name === 'Sales EMEA', PUSHED_WITHIN_MS);

    await change(c.supervisor, 'DELETE', `/console/queues/${sales.id}`);
    await blake.waitFor((s) => !listed(s, sales.id), PUSHED_WITHIN_MS);

    // The edited agent gets a fresh snapshot too.
    const before = alex.snapshot;
    await change(c.supervisor, 'PATCH', `/console/agents/${c.alexId}`, { capacity: 7 });
    await alex.waitFor((s) => s !== before, PUSHED_WITHIN_MS);
  } finally {
    alex.close();
    blake.close();
  }
});
