/**
 * Crash safety (durable timers): a routing service killed with SIGKILL while a call rings,
 * while a call is connected, and while an agent is in wrap-up, then started again, carries
 * on as if it had never stopped: the ring moves on at its time-out, the connected call can
 * be ended normally, the wrap-up ends on time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MediaJoin } from '@cc/contracts';
import { AgentClient, CustomerClient, createLink, login, ringingAgents, seed } from '../testing/context.ts';
import { startProcessContext } from '../testing/process.ts';

let ctx: Awaited<ReturnType<typeof startProcessContext>>;
before(async () => {
  ctx = await startProcessContext();
});
after(async () => {
  await ctx.close();
});

async function startCall(customer: CustomerClient): Promise<string> {
  const res = (await customer.socket.timeout(10_000).emitWithAck('call:start', { media: 'audio' })) as
    { ok: true; data: { call: { callId: string }; media: MediaJoin } } | { ok: false };
  assert.ok(res.ok);
  return res.data.call.callId;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a ring that times out while the service is down moves on when it is back', async () => {
  const org = await seed(ctx, { ringTimeoutSeconds: 3, agents: [{}, {}] });
  const [first, second] = org.ids;
  // The first agent has been idle longest, so longest idle rings them.
  await ctx.t.db
    .updateTable('agent')
    .set({ idle_since: new Date(Date.now() - 60_000) })
    .where('user_id', '=', first ?? '')
    .execute();
  const { token } = await createLink(ctx, await login(ctx, org.emails[0] ?? ''), {
    type: 'one_time',
    routing: 'routing_rules',
    identity: 'Crash test',
  });
  const customer = await CustomerClient.connect(ctx, token);
  const callId = await startCall(customer);
  await until('the first ring', async () => {
    const call = await ctx.t.db.selectFrom('call').select(['state', 'ring_started_at']).where('id', '=', callId).executeTakeFirst();
    return call?.state === 'ringing' ? call : undefined;
  });
  assert.deepEqual(await ringingAgents(ctx, callId), [first]);

  await ctx.kill();
  customer.close();
  // Stay down past the ring time-out.
  await new Promise((r) => setTimeout(r, 3500));
  await ctx.start();

  const moved = await until('the ring to move on', async () => {
    // Offers first: the state read after them is at least as new (an offer and its state commit together).
    const ringing = await ringingAgents(ctx, callId);
    const call = await ctx.t.db.selectFrom('call').select(['state']).where('id', '=', callId).executeTakeFirst();
    return ringing.length === 1 && ringing[0] === second ? call : undefined;
  });
  assert.equal(moved.state, 'ringing');
  const missed = await ctx.t.db
    .selectFrom('agent')
    .select(['status', 'status_reason'])
    .where('user_id', '=', first ?? '')
    .executeTakeFirstOrThrow();
  assert.deepEqual(missed, { status: 'away', status_reason: 'missed call' });
  const timeouts = await ctx.t.db
    .selectFrom('call_event')
    .select('id')
    .where('call_id', '=', callId)
    .where('type', '=', 'ring_timed_out')
    .execute();
  assert.equal(timeouts.length, 1, 'the time-out fired exactly once');
});

test('a connected call survives a crash and ends normally; the wrap-up due while down ends on restart', async () => {
  const org = await seed(ctx, { wrapUpSeconds: 2, agents: [{}] });
  const cookie = await login(ctx, org.emails[0] ?? '');
  let agent = await AgentClient.connect(ctx, cookie);
  const { token } = await createLink(ctx, cookie, { type: 'one_time', routing: 'to_sharing_agent', identity: 'Survivor' });
  const customer = await CustomerClient.connect(ctx, token);
  const callId = await startCall(customer);
  await agent.waitFor((s) => s.call?.state === 'ringing');
  assert.ok((await agent.request('call:answer', { callId })).ok);

  await ctx.kill();
  agent.close();
  customer.close();
  await ctx.start();

  // Still connected, and the agent (reconnected) can end it normally.
  agent = await AgentClient.connect(ctx, cookie);
  assert.equal(agent.snapshot?.call?.state, 'connected');
  assert.ok((await agent.request('call:hangup', { callId })).ok);
  await agent.waitFor((s) => s.status === 'wrap_up');

  // Crash during the wrap-up and stay down past its end: it ends as soon as the service is back.
  await ctx.kill();
  agent.close();
  await new Promise((r) => setTimeout(r, 2500));
  await ctx.start();
  // From when the service answers again (a process start under load is not what is measured).
  const restartedAt = Date.now();
  const available = await until('the wrap-up to end', async () => {
    const row = await ctx.t.db
      .selectFrom('agent')
      .select('status')
      .where('user_id', '=', org.ids[0] ?? '')
      .executeTakeFirst();
    return row?.status === 'available' ? Date.now() : undefined;
  });
  assert.ok(available - restartedAt < 3000, `wrap-up ended ${available - restartedAt} ms after the restart`);
  const ended = await ctx.t.db
    .selectFrom('call_event')
    .select('id')
    .where('call_id', '=', callId)
    .where('type', '=', 'wrap_up_ended')
    .execute();
  assert.equal(ended.length, 1);
});
