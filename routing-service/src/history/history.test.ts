/**
 * Call history (SPEC §14 "Calls in progress and call history"): filters by queue, agent,
 * state and date; keyset pages; agents see only their own calls; organisations are sealed;
 * each call opens its timeline.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CallHistoryPage, CallState, CallTimeline, ErrorBody } from '@cc/contracts';
import { insertCall as insertCallRow } from '../testing/calls.ts';
import { AgentClient, CustomerClient, api, createLink, login, seed, startTestContext, type TestContext } from '../testing/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

type Err = { error: ErrorBody };

/** An organisation with a supervisor, Alex and Blake, a second queue "Sales", and AAA off so nothing rings by itself. */
async function center() {
  const org = await seed(ctx, {
    agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Alex Agent' }, { name: 'Blake Agent' }],
  });
  await ctx.t.db.updateTable('queue').set({ aaa_enabled: false }).where('id', '=', org.defaultQueueId).execute();
  const sales = await ctx.t.db
    .insertInto('queue')
    .values({ organisation_id: org.organisationId, name: 'Sales' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const [supervisorId = '', alexId = '', blakeId = ''] = org.ids;
  const [supervisorEmail = '', alexEmail = '', blakeEmail = ''] = org.emails;
  return {
    ...org,
    salesQueueId: sales.id,
    supervisorId,
    alexId,
    blakeId,
    alexEmail,
    supervisor: await login(ctx, supervisorEmail),
    alex: await login(ctx, alexEmail),
    blake: await login(ctx, blakeEmail),
  };
}

/** A call row as the engine would leave it, queued at `queuedAt` (minutes after 09:00 UTC on 2026-11-20). */
async function insertCall(
  org: { organisationId: string },
  call: { queueId: string; minute: number; state?: CallState; agentId?: string | null; offeredTo?: string[]; customer?: string },
): Promise<string> {
  const queuedAt = new Date(Date.UTC(2026, 10, 20, 9, call.minute));
  const answered = call.agentId ? new Date(queuedAt.getTime() + 12_000) : null;
  const state = call.state ?? 'ended';
  const id = await insertCallRow(ctx.t.db, {
    organisationId: org.organisationId,
    queueId: call.queueId,
    customerIdentity: call.customer ?? `Customer ${call.minute}`,
    state,
    agent_id: call.agentId ?? null,
    queued_at: queuedAt,
    answered_at: answered,
    ended_at: state === 'ended' || state === 'abandoned' ? new Date(queuedAt.getTime() + 42_000) : null,
  });
  for (const agentId of call.offeredTo ?? []) {
    await ctx.t.db
      .insertInto('call_offer')
      .values({ call_id: id, agent_id: agentId, offered_at: queuedAt, outcome: 'timed_out' })
      .execute();
  }
  return id;
}

async function history(cookie: string, query: Record<string, string> = {}) {
  const res = await api<CallHistoryPage>(ctx, cookie, 'GET', `/calls?${new URLSearchParams(query).toString()}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const idsOf = (page: CallHistoryPage) => page.calls.map((c) => c.callId);

test('filters by queue, agent, state and date each narrow the history', async () => {
  const c = await center();
  const a = await insertCall(c, { queueId: c.defaultQueueId, minute: 0, agentId: c.alexId });
  const b = await insertCall(c, { queueId: c.salesQueueId, minute: 10, agentId: c.blakeId });
  const d = await insertCall(c, { queueId: c.salesQueueId, minute: 20, state: 'abandoned' });
  const e = await insertCall(c, { queueId: c.defaultQueueId, minute: 30, state: 'connected', agentId: c.alexId });

  assert.deepEqual(idsOf(await history(c.supervisor)), [e, d, b, a], 'newest first');
  assert.deepEqual(idsOf(await history(c.supervisor, { queueId: c.salesQueueId })), [d, b]);
  assert.deepEqual(idsOf(await history(c.supervisor, { agentId: c.alexId })), [e, a]);
  assert.deepEqual(idsOf(await history(c.supervisor, { state: 'abandoned' })), [d]);
  assert.deepEqual(idsOf(await history(c.supervisor, { from: '2026-11-20T09:10:00Z', to: '2026-11-20T09:30:00Z' })), [d, b]);
  assert.deepEqual(idsOf(await history(c.supervisor, { queueId: c.defaultQueueId, state: 'ended', from: '', to: '' })), [a]);

  const summary = (await history(c.supervisor, { agentId: c.blakeId })).calls[0];
  assert.deepEqual(summary, {
    callId: b,
    conversationId: summary?.conversationId,
    queueId: c.salesQueueId,
    queueName: 'Sales',
    agentId: c.blakeId,
    agentName: 'Blake Agent',
    customerIdentity: 'Customer 10',
    state: 'ended',
    kind: 'regular',
    media: 'audio',
    queuedAt: '2026-11-20T09:10:00.000Z',
    answeredAt: '2026-11-20T09:10:12.000Z',
    endedAt: '2026-11-20T09:10:42.000Z',
    waitSeconds: 12,
    talkSeconds: 30,
    endReason: null,
  });
  const abandoned = (await history(c.supervisor, { state: 'abandoned' })).calls[0];
  assert.equal(abandoned?.waitSeconds, 42, 'an unanswered call waited until it ended');
  assert.equal(abandoned?.talkSeconds, null);
});

test('pages return every call exactly once, newest first, even when calls share a queued-at instant', async () => {
  const c = await center();
  const ids = new Set<string>();
  for (let i = 0; i < 7; i++) ids.add(await insertCall(c, { queueId: c.defaultQueueId, minute: i % 3 }));
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: CallHistoryPage = await history(c.supervisor, { limit: '3', ...(cursor ? { before: cursor } : {}) });
    assert.ok(page.calls.length <= 3);
    seen.push(...idsOf(page));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.equal(seen.length, 7, 'no call twice');
  assert.deepEqual(new Set(seen), ids, 'no call missed');
  const all = idsOf(await history(c.supervisor, { limit: '200' }));
  assert.deepEqual(seen, all, 'pages follow the same order as one big page');
});

test('an agent sees only the calls they answered or were offered; a supervisor sees all; other organisations are invisible', async () => {
  const c = await center();
  const answeredByAlex = await insertCall(c, { queueId: c.defaultQueueId, minute: 0, agentId: c.alexId });
  const offeredToAlex = await insertCall(c, { queueId: c.defaultQueueId, minute: 1, agentId: c.blakeId, offeredTo: [c.alexId, c.blakeId] });
  const blakeOnly = await insertCall(c, { queueId: c.salesQueueId, minute: 2, agentId: c.blakeId, offeredTo: [c.blakeId] });
  const nobody = await insertCall(c, { queueId: c.defaultQueueId, minute: 3, state: 'abandoned' });

  assert.deepEqual(idsOf(await history(c.alex)), [offeredToAlex, answeredByAlex]);
  assert.deepEqual(idsOf(await history(c.alex, { agentId: c.blakeId })), [offeredToAlex], 'a filter cannot widen an agent’s view');
  assert.deepEqual(idsOf(await history(c.blake)), [blakeOnly, offeredToAlex]);
  assert.deepEqual(idsOf(await history(c.supervisor)), [nobody, blakeOnly, offeredToAlex, answeredByAlex]);

  assert.equal((await api(ctx, c.alex, 'GET', `/calls/${answeredByAlex}/timeline`)).status, 200);
  const forbidden = await api<Err>(ctx, c.alex, 'GET', `/calls/${blakeOnly}/timeline`);
  assert.equal(forbidden.status, 404, 'another agent’s call is not found, not forbidden');
  assert.equal(forbidden.body.error.message, 'Call not found');
  assert.equal((await api(ctx, c.supervisor, 'GET', `/calls/${blakeOnly}/timeline`)).status, 200);

  const other = await center();
  const theirs = await insertCall(other, { queueId: other.defaultQueueId, minute: 5, agentId: other.alexId });
  assert.ok(!idsOf(await history(c.supervisor, { limit: '200' })).includes(theirs));
  assert.deepEqual(idsOf(await history(c.supervisor, { queueId: other.defaultQueueId })), []);
  assert.equal((await api(ctx, c.supervisor, 'GET', `/calls/${theirs}/timeline`)).status, 404);
  assert.equal((await api(ctx, c.supervisor, 'GET', '/calls/not-a-uuid/timeline')).status, 404);
  assert.equal((await api(ctx, null, 'GET', '/calls')).status, 401);
});

test('a bad query is refused with a sentence', async () => {
  const c = await center();
  const cases: [Record<string, string>, RegExp][] = [
    [{ state: 'nope' }, /Choose a call state/],
    [{ from: '2026-11-20T10:00:00Z', to: '2026-11-20T09:00:00Z' }, /From must be before To/],
    [{ limit: '0' }, /A page holds 1 to 200 calls/],
    [{ limit: '201' }, /A page holds 1 to 200 calls/],
    [{ from: 'yesterday' }, /From must be a date and time/],
    [{ before: 'page-2' }, /page cursor is not valid/],
    [{ queueId: 'sales' }, /Choose a queue/],
  ];
  for (const [query, message] of cases) {
    const res = await api<Err>(ctx, c.supervisor, 'GET', `/calls?${new URLSearchParams(query).toString()}`);
    assert.equal(res.status, 400, JSON.stringify(query));
    assert.equal(res.body.error.code, 'bad_request');
    assert.match(res.body.error.message, message);
  }
});

test('the timeline of a real answered call lists its events in order with their actors', async () => {
  const org = await seed(ctx, { agents: [{ name: 'Alex Agent' }] });
  const cookie = await login(ctx, org.emails[0] ?? '');
  const agent = await AgentClient.connect(ctx, cookie);
  try {
    const { token } = await createLink(ctx, cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Jo Customer' });
    const customer = await CustomerClient.connect(ctx, token);
    const started = (await customer.socket.timeout(10_000).emitWithAck('call:start', { media: 'audio' })) as {
      ok: true;
      data: { call: { callId: string } };
    };
    assert.ok(started.ok);
    const callId = started.data.call.callId;
    await agent.waitFor((s) => s.call?.state === 'ringing');
    assert.ok((await agent.request('call:answer', { callId })).ok);
    await customer.waitForState('connected');
    await customer.socket.timeout(5000).emitWithAck('call:hangup', {});
    await agent.waitFor((s) => s.status === 'wrap_up');
    customer.close();

    const res = await api<CallTimeline>(ctx, cookie, 'GET', `/calls/${callId}/timeline`);
    assert.equal(res.status, 200);
    assert.equal(res.body.call.state, 'ended');
    assert.equal(res.body.call.agentName, 'Alex Agent');
    assert.equal(res.body.call.customerIdentity, 'Jo Customer');
    assert.ok(res.body.call.talkSeconds !== null && res.body.call.waitSeconds !== null);
    assert.deepEqual(
      res.body.events.map((e) => [e.type, e.actorType, e.actorName]),
      [
        ['call_queued', 'customer', 'Jo Customer'],
        ['call_ringing', 'system', null],
        ['call_answered', 'agent', 'Alex Agent'],
        ['call_ended', 'customer', 'Jo Customer'],
        ['wrap_up_started', 'system', null],
      ],
    );
    assert.equal(res.body.events[1]?.agentName, 'Alex Agent', 'the ringing event names who rang');
    const times = res.body.events.map((e) => Date.parse(e.at));
    assert.deepEqual(
      times,
      [...times].sort((x, y) => x - y),
      'oldest first',
    );

    const listed = await history(cookie);
    assert.deepEqual(idsOf(listed), [callId], 'the agent finds the call in their history');
  } finally {
    agent.close();
  }
});
