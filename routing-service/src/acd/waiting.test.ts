/**
 * What a queued customer hears, from the engine's side (SPEC §8): the queue's waiting program
 * is played by the real SFU to the customer while the call waits and stops when an agent
 * answers; at the maximum wait nobody is offered the call any more, the last message plays,
 * and the call ends as `timed_out`; outside working hours (SPEC §9) nobody is rung and the
 * away message plays before the call ends. (The audio itself is measured in Chromium: e2e.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { DEFAULT_WAITING_STRATEGY, DEFAULT_WORKING_HOURS, type PromptView, type WorkingHoursView } from '@cc/contracts';
import {
  AgentClient,
  api,
  CustomerClient,
  createLink,
  login,
  ringingAgents,
  seed,
  startTestContext,
  type TestContext,
} from '../testing/context.ts';
import { customerPeerId } from './engine.ts';
import { sentenceOf, waitingPlaces } from './queue-position.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

async function center() {
  const org = await seed(ctx, {
    agents: [
      { role: 'supervisor', name: 'Sam Supervisor', status: 'away' },
      { name: 'Ada Agent', status: 'away' },
    ],
  });
  const [supervisorEmail = '', agentEmail = ''] = org.emails;
  const supervisor = await login(ctx, supervisorEmail);
  const agentCookie = await login(ctx, agentEmail);
  await ctx.t.db.updateTable('queue').set({ aaa_enabled: true }).where('id', '=', org.defaultQueueId).execute();
  const prompt = async (name: string, text: string) =>
    (await api<PromptView>(ctx, supervisor, 'POST', '/console/prompts/speech', { name, text })).body;
  return { ...org, supervisor, agentCookie, agentId: org.ids[1] ?? '', prompt };
}

async function playbackOf(callId: string) {
  return (await ctx.sfu.getRoom(callId))?.playbacks.find((p) => p.peerId === customerPeerId(callId));
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('a waiting call hears the queue’s program until an agent answers', async () => {
  const c = await center();
  const { token } = await createLink(ctx, c.supervisor, { type: 'one_time', routing: 'routing_rules', identity: 'carol@example.test' });
  const customer = await CustomerClient.connect(ctx, token);
  const { call } = await customer.start();
  // Nobody is available: the call waits, and the SFU plays to the customer (the built-in music by default).
  await until(async () => (await playbackOf(call.callId))?.playing === true);

  const agent = await AgentClient.connect(ctx, c.agentCookie);
  assert.ok((await agent.request('status:set', { status: 'available' })).ok);
  await agent.waitFor((s) => s.call?.state === 'ringing');
  assert.equal((await playbackOf(call.callId))?.playing, true, 'the music goes on while an agent rings');
  assert.ok((await agent.request('call:answer', { callId: call.callId })).ok);
  await until(async () => (await playbackOf(call.callId))?.playing === false);
  agent.close();
  customer.socket.close();
});

test('at the maximum wait nobody is offered the call, the last message plays, and the call times out', async () => {
  const c = await center();
  const goodbye = await c.prompt('Goodbye', 'We are sorry, nobody could take your call. Goodbye.');
  const saved = await api(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/waiting-strategy`, {
    ...DEFAULT_WAITING_STRATEGY,
    maxWaitEnabled: true,
    maxWaitSeconds: 5,
    lastMessagePromptId: goodbye.id,
  });
  assert.equal(saved.status, 200);
  const { token } = await createLink(ctx, c.supervisor, { type: 'one_time', routing: 'routing_rules', identity: 'dave@example.test' });
  const customer = await CustomerClient.connect(ctx, token);
  const { call } = await customer.start();
  const startedAt = Date.now();

  // The maximum wait is reached: the call is no longer offered, even to an agent who becomes free.
  await until(
    async () =>
      (await ctx.t.db.selectFrom('call').select('waiting_ends_at').where('id', '=', call.callId).executeTakeFirstOrThrow())
        .waiting_ends_at !== null,
  );
  assert.ok(Date.now() - startedAt >= 4_900, 'not before the maximum wait');
  const agent = await AgentClient.connect(ctx, c.agentCookie);
  assert.ok((await agent.request('status:set', { status: 'available' })).ok);
  await agent.waitFor((s) => s.status === 'available');
  await ctx.service.engine.requestAssignment(c.defaultQueueId);
  assert.deepEqual(await ringingAgents(ctx, call.callId), []);
  assert.equal((await playbackOf(call.callId))?.playing, true, 'the last message plays');

  const ended = await customer.waitForState('timed_out', 15_000);
  assert.equal(ended.state, 'timed_out');
  const waited = Date.now() - startedAt;
  assert.ok(waited >= 5_000 + goodbye.durationMs, `the call ended after its last message (${waited} ms)`);
  const events = await ctx.t.db.selectFrom('call_event').select('type').where('call_id', '=', call.callId).orderBy('id').execute();
  assert.deepEqual(
    events.map((e) => e.type),
    ['call_queued', 'max_wait_reached', 'call_timed_out'],
  );
  await until(async () => (await ctx.sfu.getRoom(call.callId)) === null);
  agent.close();
  customer.socket.close();
});

test('outside working hours no agent is rung: the away message plays and the call ends', async () => {
  const c = await center();
  const away = await c.prompt('Closed', 'We are closed. Please call again tomorrow.');
  // Open only on a date long past: closed now whatever the day and time.
  const saved = await api<WorkingHoursView>(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/working-hours`, {
    ...DEFAULT_WORKING_HOURS,
    enabled: true,
    timeZone: 'Europe/Paris',
    weekly: [],
    exceptions: [{ date: '2020-01-01', closed: false, intervals: [{ from: '00:00', to: '24:00' }] }],
    awayMessagePromptId: away.id,
  });
  assert.equal(saved.status, 200);
  const bad = await api<{ error: { message: string } }>(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/working-hours`, {
    ...DEFAULT_WORKING_HOURS,
    timeZone: 'Nowhere/Land',
  });
  assert.equal(bad.body.error.message, 'Choose a time zone from the list.');

  const agent = await AgentClient.connect(ctx, c.agentCookie);
  assert.ok((await agent.request('status:set', { status: 'available' })).ok);
  const { token } = await createLink(ctx, c.supervisor, { type: 'one_time', routing: 'routing_rules', identity: 'erin@example.test' });
  const customer = await CustomerClient.connect(ctx, token);
  const startedAt = Date.now();
  const { call } = await customer.start();
  assert.equal(call.endReason, 'outside_hours', 'the page knows at once');
  await until(async () => (await playbackOf(call.callId))?.playing === true);
  const ended = await customer.waitForState('ended', 15_000);
  assert.equal(ended.endReason, 'outside_hours');
  assert.ok(Date.now() - startedAt >= away.durationMs, 'the away message played first');
  assert.deepEqual(await ringingAgents(ctx, call.callId), []);
  const offers = await ctx.t.db.selectFrom('call_offer').select('id').where('call_id', '=', call.callId).execute();
  assert.equal(offers.length, 0, 'no agent was rung');
  const events = await ctx.t.db.selectFrom('call_event').select('type').where('call_id', '=', call.callId).orderBy('id').execute();
  assert.deepEqual(
    events.map((e) => e.type),
    ['call_queued', 'outside_hours', 'call_ended'],
  );
  agent.close();
  customer.socket.close();
});

test('a waiting caller is told their position and estimated wait, on the page and in the announcement', async () => {
  const c = await center();
  const notice = await c.prompt('Please hold', 'Thank you for holding.');
  await api(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/waiting-strategy`, {
    ...DEFAULT_WAITING_STRATEGY,
    announcementEnabled: true,
    announcementPromptId: notice.id,
    announcementEverySeconds: 5,
    announcePosition: true,
    announceEstimatedWait: true,
  });
  // One staffed agent (busy, so nobody is rung); no answered calls yet: 3 minutes a call.
  await ctx.t.db.updateTable('agent').set({ status: 'busy' }).where('user_id', '=', c.agentId).execute();
  await ctx.t.db
    .updateTable('agent')
    .set({ status: 'offline' })
    .where('user_id', '=', c.ids[0] ?? '')
    .execute();
  const caller = async (identity: string) => {
    const { token } = await createLink(ctx, c.supervisor, { type: 'one_time', routing: 'routing_rules', identity });
    const customer = await CustomerClient.connect(ctx, token);
    const { call } = await customer.start();
    return { customer, call };
  };
  const first = await caller('first@example.test');
  const second = await caller('second@example.test');
  assert.equal(first.call.position, 1);
  assert.equal(second.call.position, 2);
  assert.equal(second.call.estimatedWaitSeconds, 360);
  // Many calls at once (the periodic update) rank each queue with a window: the same places.
  const many = await waitingPlaces(ctx.t.db, [first.call.callId, second.call.callId, ...Array.from({ length: 8 }, () => randomUUID())]);
  assert.deepEqual(
    many.map((p) => [p.callId, p.position, p.estimatedWaitSeconds]).sort(),
    [
      [first.call.callId, 1, 180],
      [second.call.callId, 2, 360],
    ].sort(),
  );
  const spoken = async () =>
    Number(
      (
        await ctx.t.db
          .selectFrom('speech_cache')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const before = await spoken();

  // The first caller leaves: the second is next, told so on the page within the presence beat (5 s).
  assert.ok((await first.customer.request('call:hangup', {})).ok);
  await until(async () => second.customer.places.at(-1)?.position === 1, 10_000);
  assert.equal(second.customer.places.at(-1)?.estimatedWaitSeconds, 180);
  // …and the announcement now says "You are next": a new sentence was synthesised for it.
  await until(async () => (await spoken()) > before, 10_000);
  second.customer.socket.close();
  first.customer.socket.close();
});

test('the spoken place reads naturally', () => {
  assert.equal(sentenceOf(1, 100, true, true), 'You are next in the queue. Your estimated waiting time is about 2 minutes.');
  assert.equal(sentenceOf(4, 30, true, false), 'You are number 4 in the queue.');
  assert.equal(sentenceOf(4, 30, false, true), 'Your estimated waiting time is about 1 minute.');
  assert.equal(sentenceOf(4, 30, false, false), null);
});
