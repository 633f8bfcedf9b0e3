/**
 * Blind transfer (SPEC §6) through real sockets and the real SFU: the transferring agent goes
 * to wrap-up at once, the chosen agent (or the queue's next agent) is rung with a `transfer`
 * pop-up while the customer hears the transfer music, and a transfer that is declined or
 * not answered comes back to the first agent with a warning.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { QueueDetail } from '@cc/contracts';
import { AgentClient, api, CustomerClient, createLink, login, seed, startTestContext, type TestContext } from '../testing/context.ts';
import { customerPeerId } from './engine.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Ada answers a customer's call; Bob (available) and Cleo (away) are in the same queue. */
async function answeredCall(options: { ringTimeoutSeconds?: number } = {}) {
  const org = await seed(ctx, {
    ...options,
    agents: [
      { name: 'Ada Agent' },
      { name: 'Bob Agent', status: 'away' },
      { name: 'Cleo Agent', status: 'away' },
      { role: 'supervisor', name: 'Sam Supervisor', status: 'away' },
    ],
  });
  const [adaId = '', bobId = '', cleoId = ''] = org.ids;
  const ada = await AgentClient.connect(ctx, await login(ctx, org.emails[0] ?? ''));
  const bob = await AgentClient.connect(ctx, await login(ctx, org.emails[1] ?? ''));
  const supervisor = await login(ctx, org.emails[3] ?? '');
  const { token } = await createLink(ctx, supervisor, { type: 'one_time', routing: 'routing_rules', identity: 'carol@example.test' });
  const customer = await CustomerClient.connect(ctx, token);
  const { call } = await customer.start();
  await ada.waitFor((s) => s.call?.state === 'ringing');
  assert.ok((await ada.request('call:answer', { callId: call.callId })).ok);
  await ada.waitFor((s) => s.status === 'on_call');
  assert.ok((await bob.request('status:set', { status: 'available' })).ok);
  const close = () => {
    ada.close();
    bob.close();
    customer.socket.close();
  };
  return { org, adaId, bobId, cleoId, ada, bob, customer, callId: call.callId, supervisor, close };
}

test('transfer to an agent: the first agent wraps up at once, the second gets a transfer pop-up and answers', async () => {
  const c = await answeredCall();
  const targets = await c.ada.request('transfer:targets', { callId: c.callId });
  assert.ok(targets.ok);
  assert.deepEqual(
    targets.data.agents.map((a) => [a.name, a.status]),
    [
      ['Bob Agent', 'available'],
      ['Cleo Agent', 'away'],
      ['Sam Supervisor', 'away'],
    ],
    'available agents first',
  );
  assert.deepEqual(await c.ada.request('call:transfer', { callId: c.callId, to: { agentId: c.bobId } }), { ok: true, data: null });
  const wrapping = await c.ada.waitFor((s) => s.status === 'wrap_up');
  assert.equal(wrapping.call, null, 'the first agent left the call at once');
  const ringing = await c.bob.waitFor((s) => s.call?.state === 'ringing');
  assert.equal(ringing.call?.kind, 'transfer');
  // The customer is told the call is being transferred (their page says so).
  await until(async () => c.customer.states.some((s) => s.transferring && (s.state === 'queued' || s.state === 'ringing')));
  const peer = customerPeerId(c.callId);
  await until(async () => (await ctx.sfu.getRoom(c.callId))?.playbacks.find((p) => p.peerId === peer)?.playing === true);

  assert.ok((await c.bob.request('call:answer', { callId: c.callId })).ok);
  const connected = await c.customer.waitForState('connected');
  await until(async () => c.customer.states.at(-1)?.agentName === 'Bob');
  assert.equal(connected.state, 'connected');
  await until(async () => (await ctx.sfu.getRoom(c.callId))?.playbacks.some((p) => p.playing) === false);
  const events = await ctx.t.db.selectFrom('call_event').select('type').where('call_id', '=', c.callId).orderBy('id').execute();
  assert.deepEqual(
    events.map((e) => e.type),
    ['call_queued', 'call_ringing', 'call_answered', 'call_transferred', 'wrap_up_started', 'call_ringing', 'call_answered'],
  );
  // Each agent segment has its own wrap-up: Bob's ends the call as usual.
  assert.ok((await c.bob.request('call:hangup', { callId: c.callId })).ok);
  await c.bob.waitFor((s) => s.status === 'wrap_up');
  c.close();
});

test('a declined transfer comes back to the first agent, who is told so', async () => {
  const c = await answeredCall();
  assert.ok((await c.ada.request('call:transfer', { callId: c.callId, to: { agentId: c.bobId } })).ok);
  await c.bob.waitFor((s) => s.call?.state === 'ringing');
  assert.ok((await c.bob.request('call:decline', { callId: c.callId })).ok);
  const back = await c.ada.waitFor((s) => s.status === 'on_call' && s.call?.state === 'connected');
  assert.equal(back.wrapUp, null, 'the wrap-up of the transfer is over');
  await until(async () => c.ada.notices.includes('The transfer was declined. The call is back with you.'));
  await until(async () => c.customer.states.at(-1)?.agentName === 'Ada');
  await until(async () => (await ctx.sfu.getRoom(c.callId))?.playbacks.some((p) => p.playing) === false);
  c.close();
});

test('an unanswered transfer comes back at the ring time-out', async () => {
  const c = await answeredCall({ ringTimeoutSeconds: 3 });
  assert.ok((await c.ada.request('call:transfer', { callId: c.callId, to: { agentId: c.bobId } })).ok);
  await c.bob.waitFor((s) => s.call?.state === 'ringing');
  const back = await c.ada.waitFor((s) => s.status === 'on_call' && s.call?.state === 'connected', 10_000);
  assert.equal(back.call?.callId, c.callId);
  await until(async () => c.ada.notices.includes('The transfer was not answered. The call is back with you.'));
  const failed = await ctx.t.db
    .selectFrom('call_event')
    .select('data')
    .where('call_id', '=', c.callId)
    .where('type', '=', 'transfer_failed')
    .execute();
  assert.equal(failed.length, 1);
  c.close();
});

test('transfer to another queue rings its next agent; refusals change nothing', async () => {
  const c = await answeredCall();
  const noAaa = await api<QueueDetail>(ctx, c.supervisor, 'POST', '/console/queues', { name: 'Billing', aaaEnabled: false });
  const sales = await api<QueueDetail>(ctx, c.supervisor, 'POST', '/console/queues', { name: 'Sales', aaaEnabled: true });
  const targets = await c.ada.request('transfer:targets', { callId: c.callId });
  assert.ok(targets.ok);
  assert.deepEqual(
    targets.data.queues.map((q) => q.name),
    ['Sales'],
    'only queues with automatic assignment',
  );
  const refusals: [unknown, string][] = [
    [{ agentId: c.cleoId }, 'Cleo Agent cannot take a call right now.'],
    [{ queueId: noAaa.body.id }, 'Calls cannot be transferred to Billing: it has no automatic agent assignment.'],
    [{ queueId: sales.body.id }, 'Nobody in Sales can take a call right now.'],
  ];
  for (const [to, message] of refusals) {
    const res = await c.ada.request('call:transfer', { callId: c.callId, to } as never);
    assert.equal(res.ok ? '' : res.error.message, message);
  }
  const notYours = await c.bob.request('call:transfer', { callId: c.callId, to: { agentId: c.adaId } });
  assert.equal(notYours.ok ? '' : notYours.error.code, 'invalid_transition');
  assert.equal((await ctx.t.db.selectFrom('call').select('state').where('id', '=', c.callId).executeTakeFirstOrThrow()).state, 'connected');

  await api(ctx, c.supervisor, 'PUT', `/console/queues/${sales.body.id}/members`, [{ agentId: c.bobId, priority: 1 }]);
  assert.ok((await c.ada.request('call:transfer', { callId: c.callId, to: { queueId: sales.body.id } })).ok);
  const ringing = await c.bob.waitFor((s) => s.call?.state === 'ringing');
  assert.equal(ringing.call?.queueName, 'Sales');
  assert.equal(ringing.call?.kind, 'transfer');
  assert.ok((await c.bob.request('call:answer', { callId: c.callId })).ok);
  await c.bob.waitFor((s) => s.status === 'on_call');
  c.close();
});
