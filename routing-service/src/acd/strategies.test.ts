/**
 * Queue strategies (SPEC §3). Each test is arranged so that longest idle would pick someone
 * else: the test fails if its strategy's rule is broken.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { QueueStrategy } from '@cc/contracts';
import { insertCall } from '../testing/calls.ts';
import { AgentClient, login, ringingAgents, seed, startTestContext, type TestContext } from '../testing/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** An organisation whose Default queue uses `strategy`, with agents idle since the given minutes ago. */
async function queueWith(strategy: QueueStrategy, idleMinutes: number[]) {
  const org = await seed(ctx, { agents: idleMinutes.map(() => ({})) });
  await ctx.t.db.updateTable('queue').set({ strategy }).where('id', '=', org.defaultQueueId).execute();
  for (const [i, id] of org.ids.entries()) {
    await ctx.t.db
      .updateTable('agent')
      .set({ idle_since: minutesAgo(idleMinutes[i] ?? 0) })
      .where('user_id', '=', id)
      .execute();
  }
  return org;
}

/** A call waiting in the queue, as a call link would have made it. */
const waitingCall = (org: { organisationId: string; defaultQueueId: string }) =>
  insertCall(ctx.t.db, { organisationId: org.organisationId, queueId: org.defaultQueueId });

async function rungAgent(org: { defaultQueueId: string }, callId: string): Promise<string | null> {
  await ctx.service.engine.assignQueue(org.defaultQueueId);
  const call = await ctx.t.db.selectFrom('call').select(['state']).where('id', '=', callId).executeTakeFirstOrThrow();
  assert.equal(call.state, 'ringing');
  const ringing = await ringingAgents(ctx, callId);
  assert.equal(ringing.length, 1, 'one agent rings at a time');
  return ringing[0] ?? null;
}

/** Ends a ringing call by hand and frees its agent, as if it had been answered and wrapped up. */
async function finish(callId: string, agentId: string | null): Promise<void> {
  await ctx.t.db.updateTable('call').set({ state: 'ended', ended_at: new Date() }).where('id', '=', callId).execute();
  await ctx.t.db.deleteFrom('timer').where('subject_id', '=', callId).execute();
  await ctx.t.db.updateTable('call_offer').set({ outcome: 'answered', outcome_at: new Date() }).where('call_id', '=', callId).execute();
  if (agentId) await ctx.t.db.updateTable('agent').set({ status: 'available' }).where('user_id', '=', agentId).execute();
}

test('longest_idle rings the agent idle longest', async () => {
  const org = await queueWith('longest_idle', [5, 30, 10]);
  assert.equal(await rungAgent(org, await waitingCall(org)), org.ids[1]);
});

test('least_occupied rings the agent with the fewest open conversations for their capacity', async () => {
  // Agent 1 idles longest but is 3/5 occupied; agent 2 is 1/10; agent 3 is 1/2.
  const org = await queueWith('least_occupied', [60, 5, 30]);
  const [a1, a2, a3] = org.ids;
  await ctx.t.db
    .updateTable('agent')
    .set({ capacity: 5 })
    .where('user_id', '=', a1 ?? '')
    .execute();
  await ctx.t.db
    .updateTable('agent')
    .set({ capacity: 10 })
    .where('user_id', '=', a2 ?? '')
    .execute();
  await ctx.t.db
    .updateTable('agent')
    .set({ capacity: 2 })
    .where('user_id', '=', a3 ?? '')
    .execute();
  for (const [agent, open] of [
    [a1, 3],
    [a2, 1],
    [a3, 1],
  ] as const) {
    for (let i = 0; i < open; i++) {
      await ctx.t.db
        .insertInto('conversation')
        .values({ organisation_id: org.organisationId, customer_identity: `open-${randomUUID()}`, agent_id: agent ?? null })
        .execute();
    }
  }
  assert.equal(await rungAgent(org, await waitingCall(org)), a2);
});

test('a decision looks past the first available agents: those at capacity or offered this call before give way to the first fresh one', async () => {
  // 20 agents, idle longest first. The first was offered this call before (its ring timed
  // out); the next 17 are at capacity; the 19th is the one to ring, though the 20th is free too.
  const org = await queueWith(
    'longest_idle',
    Array.from({ length: 20 }, (_, i) => 100 - i),
  );
  const callId = await waitingCall(org);
  const [offeredBefore, ...others] = org.ids;
  const atCapacity = others.slice(0, 17);
  await ctx.t.db
    .insertInto('call_offer')
    .values({ call_id: callId, agent_id: offeredBefore ?? '', offered_at: minutesAgo(2), outcome: 'timed_out', outcome_at: minutesAgo(1) })
    .execute();
  await ctx.t.db.updateTable('agent').set({ capacity: 1 }).where('user_id', 'in', atCapacity).execute();
  await ctx.t.db
    .insertInto('conversation')
    .values(atCapacity.map((agentId) => ({ organisation_id: org.organisationId, customer_identity: randomUUID(), agent_id: agentId })))
    .execute();
  assert.equal(await rungAgent(org, callId), others[17]);
});

test('round_robin gives each member a turn, then starts again', async () => {
  // Idle times would pick agent 2 every time under longest_idle once they are freed first.
  const org = await queueWith('round_robin', [10, 60, 30]);
  const rung: (string | null)[] = [];
  for (let i = 0; i < 4; i++) {
    const callId = await waitingCall(org);
    const agent = await rungAgent(org, callId);
    rung.push(agent);
    await finish(callId, agent);
    // Freed agents become the longest idle again: round robin must not care.
    await ctx.t.db
      .updateTable('agent')
      .set({ idle_since: minutesAgo(120) })
      .where('user_id', '=', agent ?? '')
      .execute();
  }
  assert.equal(new Set(rung.slice(0, 3)).size, 3, `first three calls went to ${rung.join(', ')}`);
  assert.equal(rung[3], rung[0]);
});

test('priority_then_longest_idle rings tier 1 first and a lower tier only when no tier-1 agent is eligible', async () => {
  const org = await queueWith('priority_then_longest_idle', [60, 1, 30]);
  const [tier2Idle, tier1, tier3] = org.ids;
  const tiers: [string | undefined, number][] = [
    [tier2Idle, 2],
    [tier1, 1],
    [tier3, 3],
  ];
  for (const [agent, priority] of tiers) {
    await ctx.t.db
      .updateTable('queue_member')
      .set({ priority })
      .where('agent_id', '=', agent ?? '')
      .execute();
  }
  const first = await waitingCall(org);
  assert.equal(await rungAgent(org, first), tier1);
  // Tier 1 is now busy with that call: the next call goes to tier 2, not tier 3.
  assert.equal(await rungAgent(org, await waitingCall(org)), tier2Idle);
});

test('callers are served by priority, then arrival', async () => {
  const org = await queueWith('longest_idle', [10]);
  const early = await waitingCall(org);
  const vip = await waitingCall(org);
  await ctx.t.db
    .updateTable('call')
    .set({ queued_at: minutesAgo(5) })
    .where('id', '=', early)
    .execute();
  await ctx.t.db
    .updateTable('call')
    .set({ priority: 5, queued_at: minutesAgo(1) })
    .where('id', '=', vip)
    .execute();
  await ctx.service.engine.assignQueue(org.defaultQueueId);
  const states = await ctx.t.db.selectFrom('call').select(['id', 'state']).where('id', 'in', [early, vip]).execute();
  assert.deepEqual(Object.fromEntries(states.map((c) => [c.id === vip ? 'vip' : 'early', c.state])), { vip: 'ringing', early: 'queued' });
});

/** Every agent of `org` connected as a desktop. */
async function desktops(org: { emails: string[] }): Promise<AgentClient[]> {
  return Promise.all(org.emails.map(async (email) => AgentClient.connect(ctx, await login(ctx, email))));
}

test('ring_all rings every eligible member at once; the first answer wins and the others stop ringing at once', async () => {
  const org = await queueWith('ring_all', [5, 30, 10, 60]);
  const [a1, a2, a3, away] = org.ids;
  await ctx.t.db
    .updateTable('agent')
    .set({ status: 'away' })
    .where('user_id', '=', away ?? '')
    .execute();
  const clients = await desktops(org);
  const [c1, c2, c3, cAway] = clients;
  assert.ok(c1 && c2 && c3 && cAway);
  const callId = await waitingCall(org);
  await ctx.service.engine.assignQueue(org.defaultQueueId);

  assert.deepEqual(new Set(await ringingAgents(ctx, callId)), new Set([a1, a2, a3]), 'every available member rings, the away one does not');
  await Promise.all([c1, c2, c3].map((c) => c.waitFor((s) => s.call?.callId === callId && s.call.state === 'ringing')));
  assert.equal(cAway.snapshot?.call, null);

  assert.ok((await c2.request('call:answer', { callId })).ok);
  await Promise.all([c1, c3].map((c) => c.waitFor((s) => s.call === null && s.status === 'available', 2_000)));
  const late = await c1.request('call:answer', { callId });
  assert.ok(!late.ok && late.error.message === 'Another agent answered this call', JSON.stringify(late));

  const call = await ctx.t.db.selectFrom('call').select(['state', 'agent_id']).where('id', '=', callId).executeTakeFirstOrThrow();
  assert.deepEqual(call, { state: 'connected', agent_id: a2 });
  const outcomes = await ctx.t.db.selectFrom('call_offer').select(['agent_id', 'outcome']).where('call_id', '=', callId).execute();
  assert.deepEqual(Object.fromEntries(outcomes.map((o) => [o.agent_id, o.outcome])), {
    [a1 ?? '']: 'cancelled',
    [a2 ?? '']: 'answered',
    [a3 ?? '']: 'cancelled',
  });
  const timers = await ctx.t.db
    .selectFrom('timer')
    .select('id')
    .where('subject_id', '=', callId)
    .where('kind', '=', 'ring_timeout')
    .execute();
  assert.equal(timers.length, 0, 'no ring time-out is left to fire');
  for (const c of clients) c.close();
});

test('ring_all: a decline stops only that ring; after the last decline the call waits in the queue', async () => {
  const org = await queueWith('ring_all', [5, 30]);
  const [, a2] = org.ids;
  const [c1, c2] = await desktops(org);
  assert.ok(c1 && c2);
  const callId = await waitingCall(org);
  await ctx.service.engine.assignQueue(org.defaultQueueId);
  await Promise.all([c1, c2].map((c) => c.waitFor((s) => s.call?.callId === callId)));

  assert.ok((await c1.request('call:decline', { callId })).ok);
  await c1.waitFor((s) => s.call === null && s.status === 'available');
  assert.equal(c2.snapshot?.call?.state, 'ringing', 'the other agent still rings');
  assert.deepEqual(await ringingAgents(ctx, callId), [a2]);
  const ringing = await ctx.t.db.selectFrom('call').select('state').where('id', '=', callId).executeTakeFirstOrThrow();
  assert.equal(ringing.state, 'ringing');

  assert.ok((await c2.request('call:decline', { callId })).ok);
  await c2.waitFor((s) => s.call === null);
  const queued = await ctx.t.db.selectFrom('call').select('state').where('id', '=', callId).executeTakeFirstOrThrow();
  assert.equal(queued.state, 'queued');
  assert.deepEqual(await ringingAgents(ctx, callId), [], 'agents who declined are not rung again at once');
  c1.close();
  c2.close();
});

test('ring_all: a caller who hangs up while the call rings frees every ringing agent', async () => {
  const org = await queueWith('ring_all', [5, 30, 10]);
  const clients = await desktops(org);
  const callId = await waitingCall(org);
  await ctx.service.engine.assignQueue(org.defaultQueueId);
  await Promise.all(clients.map((c) => c.waitFor((s) => s.call?.callId === callId)));

  await ctx.service.engine.hangUpByCustomer(callId);
  await Promise.all(clients.map((c) => c.waitFor((s) => s.call === null && s.status === 'available', 2_000)));
  const outcomes = await ctx.t.db.selectFrom('call_offer').select('outcome').where('call_id', '=', callId).execute();
  assert.deepEqual(
    outcomes.map((o) => o.outcome),
    ['cancelled', 'cancelled', 'cancelled'],
  );
  for (const c of clients) c.close();
});
