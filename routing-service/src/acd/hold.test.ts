/**
 * Hold (SPEC §5) through real sockets and the real SFU: the call and the agent are `on_hold`,
 * the SFU isolates the customer and plays the hold configuration to them, resuming undoes
 * both, and the timeline keeps how long the call was held. Hold configurations are named per
 * organisation with an undeletable Default. (The audio itself is measured in Chromium: e2e.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ErrorBody, HoldConfigurationView, QueueDetail } from '@cc/contracts';
import { AgentClient, api, CustomerClient, createLink, login, seed, startTestContext, type TestContext } from '../testing/context.ts';
import { customerPeerId } from './engine.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

type Err = { error: ErrorBody };

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('hold isolates the customer and plays to them; resume undoes it; the timeline keeps the held time', async () => {
  const org = await seed(ctx, { agents: [{ name: 'Ada Agent' }, { name: 'Bob Agent', status: 'away' }] });
  const cookie = await login(ctx, org.emails[0] ?? '');
  const agent = await AgentClient.connect(ctx, cookie);
  const other = await AgentClient.connect(ctx, await login(ctx, org.emails[1] ?? ''));
  const { token } = await createLink(ctx, cookie, { type: 'one_time', routing: 'routing_rules', identity: 'carol@example.test' });
  const customer = await CustomerClient.connect(ctx, token);
  const { call } = await customer.start();
  await agent.waitFor((s) => s.call?.state === 'ringing');
  assert.ok((await agent.request('call:answer', { callId: call.callId })).ok);
  // Whatever was asked first, the newest request wins: nothing plays once the call is answered.
  await until(async () => (await ctx.sfu.getRoom(call.callId))?.playbacks.some((p) => p.playing) === false);

  const refused = await other.request('call:hold', { callId: call.callId });
  assert.deepEqual(refused, { ok: false, error: { code: 'invalid_transition', message: 'This call is not in progress with you' } });

  assert.deepEqual(await agent.request('call:hold', { callId: call.callId }), { ok: true, data: null });
  const held = await agent.waitFor((s) => s.status === 'on_hold');
  assert.equal(held.call?.state, 'on_hold');
  assert.equal((await customer.waitForState('on_hold')).state, 'on_hold');
  const peer = customerPeerId(call.callId);
  await until(async () => {
    const room = await ctx.sfu.getRoom(call.callId);
    return room?.isolated.includes(peer) === true && room.playbacks.find((p) => p.peerId === peer)?.playing === true;
  });
  // Holding again is the same hold.
  assert.ok((await agent.request('call:hold', { callId: call.callId })).ok);

  assert.ok((await agent.request('call:resume', { callId: call.callId })).ok);
  await agent.waitFor((s) => s.status === 'on_call' && s.call?.state === 'connected');
  await until(async () => {
    const room = await ctx.sfu.getRoom(call.callId);
    return room?.isolated.length === 0 && room.playbacks.find((p) => p.peerId === peer)?.playing === false;
  });
  const events = await ctx.t.db
    .selectFrom('call_event')
    .select(['type', 'data'])
    .where('call_id', '=', call.callId)
    .orderBy('id')
    .execute();
  assert.deepEqual(
    events.map((e) => e.type),
    ['call_queued', 'call_ringing', 'call_answered', 'call_held', 'call_resumed'],
  );
  const heldSeconds = (events.at(-1)?.data as { heldSeconds?: number }).heldSeconds ?? -1;
  assert.ok(heldSeconds >= 0 && heldSeconds < 10, `held ${heldSeconds} s`);

  // Hanging up while on hold ends the call as usual.
  assert.ok((await agent.request('call:hold', { callId: call.callId })).ok);
  assert.ok((await agent.request('call:hangup', { callId: call.callId })).ok);
  await agent.waitFor((s) => s.status === 'wrap_up');
  agent.close();
  other.close();
  customer.socket.close();
});

test('hold configurations: a Default per organisation that cannot be deleted; a queue names its own', async () => {
  const org = await seed(ctx, { agents: [{ role: 'supervisor', name: 'Sam Supervisor' }] });
  const other = await seed(ctx, { agents: [{ role: 'supervisor', name: 'Olga Other' }] });
  const supervisor = await login(ctx, org.emails[0] ?? '');
  const list = await api<HoldConfigurationView[]>(ctx, supervisor, 'GET', '/console/hold-configurations');
  assert.deepEqual(
    list.body.map((h) => [h.name, h.isDefault, h.announcementEverySeconds]),
    [['Default', true, 10]],
  );
  const body = {
    name: 'Sales hold',
    musicPromptId: null,
    announcementEnabled: false,
    announcementPromptId: null,
    announcementEverySeconds: 15,
  };
  const created = await api<HoldConfigurationView>(ctx, supervisor, 'POST', '/console/hold-configurations', body);
  assert.equal(created.status, 201);
  const twice = await api<Err>(ctx, supervisor, 'POST', '/console/hold-configurations', body);
  assert.equal(twice.body.error.message, 'A hold configuration named "Sales hold" already exists.');
  const noPrompt = await api<Err>(ctx, supervisor, 'POST', '/console/hold-configurations', {
    ...body,
    name: 'x',
    announcementEnabled: true,
  });
  assert.equal(noPrompt.body.error.message, 'Choose the announcement prompt, or switch the announcement off.');

  const queue = await api<QueueDetail>(ctx, supervisor, 'PATCH', `/console/queues/${org.defaultQueueId}`, {
    holdConfigurationId: created.body.id,
  });
  assert.equal(queue.body.holdConfigurationId, created.body.id);
  const foreign = (await api<HoldConfigurationView[]>(ctx, await login(ctx, other.emails[0] ?? ''), 'GET', '/console/hold-configurations'))
    .body[0];
  const refused = await api<Err>(ctx, supervisor, 'PATCH', `/console/queues/${org.defaultQueueId}`, { holdConfigurationId: foreign?.id });
  assert.equal(refused.status, 400);

  const defaultId = list.body[0]?.id ?? '';
  const keep = await api<Err>(ctx, supervisor, 'DELETE', `/console/hold-configurations/${defaultId}`);
  assert.equal(keep.body.error.message, 'The Default hold configuration cannot be deleted; change it instead.');
  assert.equal((await api(ctx, supervisor, 'DELETE', `/console/hold-configurations/${created.body.id}`)).status, 204);
  const after = await ctx.t.db
    .selectFrom('queue')
    .select('hold_configuration_id')
    .where('id', '=', org.defaultQueueId)
    .executeTakeFirstOrThrow();
  assert.equal(after.hold_configuration_id, null, 'the queue falls back to the Default');
});
