/**
 * The call path through real sockets: SPEC §2 (eligibility, missed call → away), §3 (ring
 * time-out, decline), §4 (call states and timeline), §7 (wrap-up), §11 (call links).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MediaJoin } from '@cc/contracts';
import { ack, AgentClient, CustomerClient, api, createLink, login, seed, startTestContext, type TestContext } from '../testing/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

async function startCall(customer: CustomerClient, media: 'audio' | 'video' = 'audio') {
  const res = (await customer.socket.timeout(10_000).emitWithAck('call:start', { media })) as
    { ok: true; data: { call: { callId: string }; media: MediaJoin } } | { ok: false; error: { code: string } };
  assert.ok(res.ok, `call:start failed: ${JSON.stringify(res)}`);
  return res.data;
}

describe('a customer call reaches an available agent', () => {
  test('ring → answer → connected → customer hangs up → wrap-up → +10 s → close → available', async () => {
    const org = await seed(ctx, { agents: [{ name: 'Ada Lovelace' }] });
    const cookie = await login(ctx, org.emails[0] ?? '');
    const agent = await AgentClient.connect(ctx, cookie);
    const { token } = await createLink(ctx, cookie, { type: 'one_time', routing: 'routing_rules', identity: '+44 20 7946 0958' });
    const customer = await CustomerClient.connect(ctx, token);
    const started = await startCall(customer);
    assert.match(started.media.token, /^ey/);

    const ringing = await agent.waitFor((s) => s.call?.state === 'ringing');
    assert.equal(ringing.status, 'ringing');
    assert.equal(ringing.call?.queueName, 'Default');
    assert.equal(ringing.call?.kind, 'regular');
    assert.equal(ringing.call?.caller.number, '+442079460958');
    // The pop-up's countdown ends with the ring: the organisation's ring time-out (30 s) after it
    // started, and a later change of that setting does not move it.
    const ringMs = Date.parse(ringing.call?.ringEndsAt ?? '') - Date.parse(ringing.call?.ringStartedAt ?? '');
    assert.equal(ringMs, 30_000);
    await ctx.t.db.updateTable('organisation').set({ ring_timeout_seconds: 10 }).where('id', '=', org.organisationId).execute();
    const again = await agent.request('state:get', {});
    assert.ok(again.ok);
    assert.equal(again.data.call?.ringEndsAt, ringing.call?.ringEndsAt);

    const answered = await agent.request('call:answer', { callId: started.call.callId });
    assert.ok(answered.ok);
    assert.equal(answered.data.media.roomId, started.media.roomId);
    await agent.waitFor((s) => s.status === 'on_call' && s.call?.state === 'connected');
    assert.equal((await customer.waitForState('connected')).agentName, 'Ada');

    const before = Date.now();
    assert.deepEqual(await customer.socket.timeout(5000).emitWithAck('call:hangup', {}), { ok: true, data: null });
    const wrap = await agent.waitFor((s) => s.status === 'wrap_up' && s.wrapUp !== null);
    assert.equal(wrap.call, null);
    const endsIn = Date.parse(wrap.wrapUp?.endsAt ?? '') - before;
    assert.ok(endsIn > 28_000 && endsIn < 32_000, `wrap-up should last the org default 30 s, got ${endsIn} ms`);
    await customer.waitForState('ended');

    const extended = await agent.request('wrapup:extend', { callId: started.call.callId });
    assert.ok(extended.ok);
    const newEnd = Date.parse((extended.data as { endsAt: string }).endsAt);
    assert.equal(newEnd - Date.parse(wrap.wrapUp?.endsAt ?? ''), 10_000);

    const saved = await agent.request('wrapup:update', {
      callId: started.call.callId,
      notes: 'Asked about billing',
      conversationStatus: 'solved',
      rating: 4,
    });
    assert.ok(saved.ok);
    const closed = await agent.request('wrapup:end', { callId: started.call.callId });
    assert.ok(closed.ok);
    await agent.waitFor((s) => s.status === 'available' && s.wrapUp === null);

    const events = await ctx.t.db
      .selectFrom('call_event')
      .select('type')
      .where('call_id', '=', started.call.callId)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'call_queued',
        'call_ringing',
        'call_answered',
        'call_ended',
        'wrap_up_started',
        'wrap_up_extended',
        'conversation_updated',
        'wrap_up_ended',
      ],
    );
    const conversation = await ctx.t.db.selectFrom('conversation').selectAll().executeTakeFirstOrThrow();
    assert.equal(conversation.notes, 'Asked about billing');
    agent.close();
    customer.close();
  });

  test('wrap-up ends by itself after the agent override, then the agent is available', async () => {
    const org = await seed(ctx, { agents: [{ wrapUpSeconds: 1 }] });
    const cookie = await login(ctx, org.emails[0] ?? '');
    const agent = await AgentClient.connect(ctx, cookie);
    const { token } = await createLink(ctx, cookie, {
      type: 'expiring',
      routing: 'to_sharing_agent',
      identity: 'Grace',
      validUntil: new Date(Date.now() + 3600_000).toISOString(),
    });
    const customer = await CustomerClient.connect(ctx, token);
    const { call } = await startCall(customer);
    await agent.waitFor((s) => s.call?.state === 'ringing');
    assert.ok((await agent.request('call:answer', { callId: call.callId })).ok);
    assert.ok((await agent.request('call:hangup', { callId: call.callId })).ok);
    const second = await agent.request('call:hangup', { callId: call.callId });
    assert.equal(second.ok, false);
    assert.equal(!second.ok && second.error.code, 'invalid_transition');
    await agent.waitFor((s) => s.status === 'wrap_up');
    await agent.waitFor((s) => s.status === 'available' && s.wrapUp === null, 5000);
    agent.close();
    customer.close();
  });
});

/** Both agents are equally idle, so either may ring first: returns [the one rung, the other]. */
async function ringOrder(a: AgentClient, b: AgentClient): Promise<[AgentClient, AgentClient]> {
  const first = await Promise.race([a, b].map((agent) => agent.waitFor((s) => s.status === 'ringing').then(() => agent)));
  return first === a ? [a, b] : [b, a];
}

describe('who is rung', () => {
  test('decline moves the call to the next agent at once', async () => {
    const org = await seed(ctx, { agents: [{}, {}] });
    const [a, b] = await Promise.all(org.emails.map(async (e) => AgentClient.connect(ctx, await login(ctx, e))));
    assert.ok(a && b);
    const cookie = await login(ctx, org.emails[0] ?? '');
    const { token } = await createLink(ctx, cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Linus' });
    const customer = await CustomerClient.connect(ctx, token);
    const { call } = await startCall(customer);
    const [first, other] = await ringOrder(a, b);
    assert.ok((await first.request('call:decline', { callId: call.callId })).ok);
    await other.waitFor((s) => s.status === 'ringing' && s.call?.callId === call.callId);
    await first.waitFor((s) => s.status === 'available');
    // The agent who declined cannot answer it any more.
    const late = await first.request('call:answer', { callId: call.callId });
    assert.equal(!late.ok && late.error.code, 'invalid_transition');
    a.close();
    b.close();
    customer.close();
  });

  test('ring time-out moves the call on and the agent who let it ring is away with "missed call"', async () => {
    const org = await seed(ctx, { ringTimeoutSeconds: 3, agents: [{}, {}] });
    const [a, b] = await Promise.all(org.emails.map(async (e) => AgentClient.connect(ctx, await login(ctx, e))));
    assert.ok(a && b);
    const { token } = await createLink(ctx, await login(ctx, org.emails[0] ?? ''), {
      type: 'one_time',
      routing: 'routing_rules',
      identity: 'Ken',
    });
    const customer = await CustomerClient.connect(ctx, token);
    const { call } = await startCall(customer);
    const [first, other] = await ringOrder(a, b);
    const rangAt = Date.now();
    await other.waitFor((s) => s.status === 'ringing' && s.call?.callId === call.callId, 6000);
    const movedAfter = Date.now() - rangAt;
    assert.ok(movedAfter >= 2500 && movedAfter < 4500, `moved on after ${movedAfter} ms`);
    const away = await first.waitFor((s) => s.status === 'away');
    assert.equal(away.statusReason, 'missed call');
    assert.ok(first.notices.some((n) => n.includes('missed a call')));
    const events = await ctx.t.db.selectFrom('call_event').select('type').where('call_id', '=', call.callId).orderBy('id').execute();
    assert.deepEqual(
      events.map((e) => e.type),
      ['call_queued', 'call_ringing', 'ring_timed_out', 'call_ringing'],
    );
    a.close();
    b.close();
    customer.close();
  });

  test('an agent who is away, busy, in wrap-up or on a call is never rung', async () => {
    const org = await seed(ctx, { agents: [{ status: 'away' }, { status: 'busy' }, {}, {}] });
    const [away, busy, talking, free] = await Promise.all(org.emails.map(async (e) => AgentClient.connect(ctx, await login(ctx, e))));
    assert.ok(away && busy && talking && free);
    const cookie = await login(ctx, org.emails[2] ?? '');
    // Put `talking` on a call with a link routed to them, and `free` into wrap-up... first `talking`.
    const direct = await createLink(ctx, cookie, { type: 'one_time', routing: 'to_sharing_agent', identity: 'First' });
    const c1 = await CustomerClient.connect(ctx, direct.token);
    const first = await startCall(c1);
    await talking.waitFor((s) => s.status === 'ringing');
    assert.ok((await talking.request('call:answer', { callId: first.call.callId })).ok);
    // `free` handles a call and stays in wrap-up.
    const freeCookie = await login(ctx, org.emails[3] ?? '');
    const direct2 = await createLink(ctx, freeCookie, { type: 'one_time', routing: 'to_sharing_agent', identity: 'Second' });
    const c2 = await CustomerClient.connect(ctx, direct2.token);
    const second = await startCall(c2);
    await free.waitFor((s) => s.status === 'ringing');
    assert.ok((await free.request('call:answer', { callId: second.call.callId })).ok);
    assert.ok((await free.request('call:hangup', { callId: second.call.callId })).ok);
    await free.waitFor((s) => s.status === 'wrap_up');

    // A queue call now finds nobody eligible and waits.
    const queued = await createLink(ctx, cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Third' });
    const c3 = await CustomerClient.connect(ctx, queued.token);
    const third = await startCall(c3);
    assert.equal((third.call as { state?: string }).state, 'queued');
    await ctx.service.engine.assignQueue(org.defaultQueueId);
    const row = await ctx.t.db
      .selectFrom('call')
      .select(['state', 'agent_id'])
      .where('id', '=', third.call.callId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'queued', agent_id: null });
    const offers = await ctx.t.db.selectFrom('call_offer').select('agent_id').where('call_id', '=', third.call.callId).execute();
    assert.equal(offers.length, 0);

    // The moment `busy` becomes available, the waiting call rings them.
    assert.ok((await busy.request('status:set', { status: 'available' })).ok);
    await busy.waitFor((s) => s.status === 'ringing' && s.call?.callId === third.call.callId);
    for (const c of [away, busy, talking, free, c1, c2, c3]) c.close();
  });
});

describe('bad input changes nothing', () => {
  test('a used one-time link and an expired time-frame link are refused and create no call', async () => {
    const org = await seed(ctx, { agents: [{}] });
    const cookie = await login(ctx, org.emails[0] ?? '');
    const { token } = await createLink(ctx, cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Once' });
    const customer = await CustomerClient.connect(ctx, token);
    const { call } = await startCall(customer);
    assert.ok(call.callId);
    customer.close();
    const used = await api<{ usable: boolean; problem: string }>(ctx, null, 'GET', `/call-links/public/${token}`);
    assert.deepEqual({ usable: used.body.usable, problem: used.body.problem }, { usable: false, problem: 'link_used' });
    await assert.rejects(CustomerClient.connect(ctx, token), /link_used/);

    const from = new Date(Date.now() - 7200_000).toISOString();
    const until = new Date(Date.now() + 1500).toISOString();
    const expiring = await createLink(ctx, cookie, {
      type: 'time_frame',
      routing: 'routing_rules',
      identity: 'Late',
      validFrom: from,
      validUntil: until,
    });
    await new Promise((r) => setTimeout(r, Date.parse(until) - Date.now() + 50));
    const expired = await api<{ problem: string }>(ctx, null, 'GET', `/call-links/public/${expiring.token}`);
    assert.equal(expired.body.problem, 'link_expired');
    await assert.rejects(CustomerClient.connect(ctx, expiring.token), /link_expired/);
    const unknown = await api<{ problem: string }>(ctx, null, 'GET', `/call-links/public/${'x'.repeat(43)}`);
    assert.equal(unknown.body.problem, 'link_not_found');
    const calls = await ctx.t.db.selectFrom('call').select('id').where('organisation_id', '=', org.organisationId).execute();
    assert.equal(calls.length, 1);
  });

  test("a customer sending an agent's request gets a coded error and the call is untouched", async () => {
    const org = await seed(ctx, { agents: [{}] });
    const cookie = await login(ctx, org.emails[0] ?? '');
    const agent = await AgentClient.connect(ctx, cookie);
    const { token } = await createLink(ctx, cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Mallory' });
    const customer = await CustomerClient.connect(ctx, token);
    const { call } = await startCall(customer);
    await agent.waitFor((s) => s.status === 'ringing');
    const forged = (await ack(customer.socket, 'call:answer', { callId: call.callId })) as {
      ok: boolean;
      error?: { code: string };
    };
    assert.deepEqual({ ok: forged.ok, code: forged.error?.code }, { ok: false, code: 'bad_request' });
    const row = await ctx.t.db.selectFrom('call').select(['state', 'answered_at']).where('id', '=', call.callId).executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'ringing', answered_at: null });
    const wrongSide = await ack(agent.socket, 'call:start', { media: 'audio' });
    assert.equal(wrongSide.ok, false);
    agent.close();
    customer.close();
  });

  test('payloads are validated, sessions required, other organisations invisible, settings in range', async () => {
    const org = await seed(ctx, { agents: [{}] });
    const other = await seed(ctx, { agents: [{}] });
    const cookie = await login(ctx, org.emails[0] ?? '');
    const agent = await AgentClient.connect(ctx, cookie);
    const bad = await agent.request('status:set', { status: 'on_call' } as never);
    assert.equal(!bad.ok && bad.error.code, 'bad_request');
    const notMine = await agent.request('call:answer', { callId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(!notMine.ok && notMine.error.code, 'not_found');

    const noSession = await api(ctx, null, 'POST', '/call-links', { type: 'one_time', identity: 'x' });
    assert.equal(noSession.status, 401);
    const foreignQueue = await api<{ error: { code: string } }>(ctx, cookie, 'POST', '/call-links', {
      type: 'one_time',
      routing: 'routing_rules',
      identity: 'x',
      queueId: other.defaultQueueId,
    });
    assert.equal(foreignQueue.body.error.code, 'not_found');
    const wrongShape = await api<{ error: { code: string } }>(ctx, cookie, 'POST', '/call-links', { type: 'time_frame', identity: 'x' });
    assert.equal(wrongShape.body.error.code, 'bad_request');

    const asAgent = await api(ctx, cookie, 'PUT', '/settings', { ringTimeoutSeconds: 10 });
    assert.equal(asAgent.status, 403);
    const sup = await seed(ctx, { agents: [{ role: 'supervisor' }] });
    const supCookie = await login(ctx, sup.emails[0] ?? '');
    const tooShort = await api<{ error: { message: string } }>(ctx, supCookie, 'PUT', '/settings', { ringTimeoutSeconds: 2 });
    assert.equal(tooShort.status, 400);
    const unchanged = await api<{ ringTimeoutSeconds: number }>(ctx, supCookie, 'GET', '/settings');
    assert.equal(unchanged.body.ringTimeoutSeconds, 30);
    const ok = await api<{ ringTimeoutSeconds: number }>(ctx, supCookie, 'PUT', '/settings', { ringTimeoutSeconds: 3 });
    assert.equal(ok.body.ringTimeoutSeconds, 3);

    const wrongPassword = await api(ctx, null, 'POST', '/auth/login', { email: org.emails[0], password: 'nope' });
    assert.equal(wrongPassword.status, 401);
    agent.close();
  });
});
