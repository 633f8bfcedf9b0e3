/**
 * The supervisor console's queue and agent configuration (SPEC §3, §14): CRUD with
 * validation, organisation scoping, supervisors only, atomic member sets, and assignment
 * running when a change makes a waiting call ringable.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { ConsoleAgent, ErrorBody, QueueDetail } from '@cc/contracts';
import { insertCall } from '../testing/calls.ts';
import { api, login, ringingAgents, seed, startTestContext, type TestContext } from '../testing/context.ts';

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
  const [supervisorId = '', alexId = '', blakeId = ''] = org.ids;
  const [supervisorEmail = '', alexEmail = ''] = org.emails;
  return { ...org, supervisorId, alexId, blakeId, supervisor: await login(ctx, supervisorEmail), alexEmail };
}

type Err = { error: ErrorBody };

test('a supervisor creates, reads, updates and deletes a queue', async () => {
  const c = await center();
  const created = await api<QueueDetail>(ctx, c.supervisor, 'POST', '/console/queues', { name: '  Sales  ', strategy: 'round_robin' });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'Sales', 'the name is trimmed');
  assert.equal(created.body.strategy, 'round_robin');
  assert.equal(created.body.aaaEnabled, false, 'AAA is off by default (SPEC §3)');
  assert.equal(created.body.missedCallAway, true);
  assert.equal(created.body.serviceLevelSeconds, 20);
  assert.deepEqual(created.body.members, []);

  const list = await api<QueueDetail[]>(ctx, c.supervisor, 'GET', '/console/queues');
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.map((q) => q.name),
    ['Default', 'Sales'],
  );
  assert.equal(list.body[0]?.members.length, 3, 'Default lists its members');

  const updated = await api<QueueDetail>(ctx, c.supervisor, 'PATCH', `/console/queues/${created.body.id}`, {
    name: 'Sales EMEA',
    strategy: 'ring_all',
    missedCallAway: false,
    serviceLevelSeconds: 45,
  });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.name, 'Sales EMEA');
  assert.equal(updated.body.strategy, 'ring_all');
  assert.equal(updated.body.missedCallAway, false);
  assert.equal(updated.body.serviceLevelSeconds, 45);

  const duplicate = await api<Err>(ctx, c.supervisor, 'POST', '/console/queues', { name: 'sales emea' });
  assert.equal(duplicate.status, 409);
  assert.match(duplicate.body.error.message, /already exists/);

  const deleted = await api(ctx, c.supervisor, 'DELETE', `/console/queues/${created.body.id}`);
  assert.equal(deleted.status, 204);
  const again = await api<Err>(ctx, c.supervisor, 'DELETE', `/console/queues/${created.body.id}`);
  assert.equal(again.status, 404);
});

test('invalid queue and agent changes are refused with a sentence and change nothing', async () => {
  const c = await center();
  const before = await api<QueueDetail[]>(ctx, c.supervisor, 'GET', '/console/queues');
  const cases: [string, string, unknown, RegExp][] = [
    ['POST', '/console/queues', { name: '   ' }, /queue name must be 1 to 80 characters/],
    ['POST', '/console/queues', { name: 'x'.repeat(81) }, /queue name must be 1 to 80 characters/],
    ['POST', '/console/queues', { name: 'Ok', strategy: 'random' }, /Choose a strategy/],
    ['PATCH', `/console/queues/${c.defaultQueueId}`, { serviceLevelSeconds: 0 }, /Service level must be/],
    ['PATCH', `/console/queues/${c.defaultQueueId}`, { name: 'Renamed', serviceLevelSeconds: 3601 }, /Service level must be/],
    ['PATCH', `/console/queues/${c.defaultQueueId}`, { aaaEnabled: 'yes' }, /Automatic agent assignment must be on or off/],
    [
      'PUT',
      `/console/queues/${c.defaultQueueId}/members`,
      [{ agentId: c.alexId, priority: 11 }],
      /tier must be a whole number from 1 to 10/,
    ],
    [
      'PUT',
      `/console/queues/${c.defaultQueueId}/members`,
      [
        { agentId: c.alexId, priority: 1 },
        { agentId: c.alexId, priority: 2 },
      ],
      /listed twice/,
    ],
    ['PATCH', `/console/agents/${c.alexId}`, { capacity: 0 }, /Capacity must be a whole number from 1 to 100/],
    ['PATCH', `/console/agents/${c.alexId}`, { wrapUpSeconds: 3601 }, /wrap-up override must be/],
    ['PATCH', `/console/agents/${c.alexId}`, { recordingOverride: 'sometimes' }, /Choose how this agent’s calls are recorded/],
  ];
  for (const [method, path, body, message] of cases) {
    const res = await api<Err>(ctx, c.supervisor, method, path, body);
    assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    assert.match(res.body.error.message, message);
  }
  assert.deepEqual((await api<QueueDetail[]>(ctx, c.supervisor, 'GET', '/console/queues')).body, before.body);
  const alex = (await api<ConsoleAgent[]>(ctx, c.supervisor, 'GET', '/console/agents')).body.find((a) => a.agentId === c.alexId);
  assert.equal(alex?.capacity, 5);
  assert.equal(alex?.wrapUpSeconds, null);
});

test('a supervisor sets capacity, a wrap-up override and a recording override, and clears them back to the organisation’s', async () => {
  const c = await center();
  const set = await api<ConsoleAgent>(ctx, c.supervisor, 'PATCH', `/console/agents/${c.alexId}`, { capacity: 12, wrapUpSeconds: 90 });
  assert.equal(set.status, 200);
  assert.equal(set.body.capacity, 12);
  assert.equal(set.body.wrapUpSeconds, 90);
  const cleared = await api<ConsoleAgent>(ctx, c.supervisor, 'PATCH', `/console/agents/${c.alexId}`, { wrapUpSeconds: null });
  assert.equal(cleared.body.wrapUpSeconds, null);
  assert.equal(cleared.body.capacity, 12);
  const never = await api<ConsoleAgent>(ctx, c.supervisor, 'PATCH', `/console/agents/${c.alexId}`, { recordingOverride: 'off' });
  assert.equal(never.body.recordingOverride, 'off');
  assert.equal(never.body.capacity, 12, 'other settings are kept');
  const organisation = await api<ConsoleAgent>(ctx, c.supervisor, 'PATCH', `/console/agents/${c.alexId}`, { recordingOverride: null });
  assert.equal(organisation.body.recordingOverride, null);
  const list = await api<ConsoleAgent[]>(ctx, c.supervisor, 'GET', '/console/agents');
  assert.deepEqual(
    list.body.map((a) => a.name),
    ['Alex Agent', 'Blake Agent', 'Sam Supervisor'],
  );
});

test('an agent cannot use the console', async () => {
  const c = await center();
  const agent = await login(ctx, c.alexEmail);
  for (const [method, path, body] of [
    ['GET', '/console/queues', undefined],
    ['POST', '/console/queues', { name: 'Mine' }],
    ['PATCH', `/console/queues/${c.defaultQueueId}`, { aaaEnabled: true }],
    ['PUT', `/console/queues/${c.defaultQueueId}/members`, []],
    ['GET', '/console/agents', undefined],
    ['PATCH', `/console/agents/${c.alexId}`, { capacity: 100 }],
  ] as const) {
    const res = await api<Err>(ctx, agent, method, path, body);
    assert.equal(res.status, 403, `${method} ${path}`);
  }
  const queue = await ctx.t.db.selectFrom('queue').select(['aaa_enabled']).where('id', '=', c.defaultQueueId).executeTakeFirstOrThrow();
  assert.equal(queue.aaa_enabled, false);
  assert.equal((await api(ctx, null, 'GET', '/console/queues')).status, 401);
});

test("another organisation's queues and agents are not found", async () => {
  const mine = await center();
  const theirs = await center();
  for (const [method, path, body] of [
    ['PATCH', `/console/queues/${theirs.defaultQueueId}`, { name: 'Taken over' }],
    ['DELETE', `/console/queues/${theirs.defaultQueueId}`, undefined],
    ['PUT', `/console/queues/${theirs.defaultQueueId}/members`, []],
    ['PATCH', `/console/agents/${theirs.alexId}`, { capacity: 1 }],
    ['PATCH', '/console/queues/not-a-uuid', { name: 'x' }],
  ] as const) {
    const res = await api<Err>(ctx, mine.supervisor, method, path, body);
    assert.equal(res.status, 404, `${method} ${path}`);
  }
  const list = await api<QueueDetail[]>(ctx, mine.supervisor, 'GET', '/console/queues');
  assert.ok(!list.body.some((q) => q.id === theirs.defaultQueueId));
  const theirQueue = await api<QueueDetail[]>(ctx, theirs.supervisor, 'GET', '/console/queues');
  assert.equal(theirQueue.body[0]?.name, 'Default');
  assert.equal(theirQueue.body[0]?.members.length, 3);
  const agents = await api<ConsoleAgent[]>(ctx, mine.supervisor, 'GET', '/console/agents');
  assert.ok(!agents.body.some((a) => a.agentId === theirs.alexId));
});

test('the Default queue cannot be deleted, and stays the default when renamed', async () => {
  const c = await center();
  const res = await api<Err>(ctx, c.supervisor, 'DELETE', `/console/queues/${c.defaultQueueId}`);
  assert.equal(res.status, 409);
  assert.match(res.body.error.message, /Default queue cannot be deleted/);
  const renamed = await api<QueueDetail>(ctx, c.supervisor, 'PATCH', `/console/queues/${c.defaultQueueId}`, { name: 'General' });
  assert.equal(renamed.body.isDefault, true);
  const stray = await api<Err>(ctx, c.supervisor, 'PATCH', `/console/queues/${c.defaultQueueId}`, { isDefault: false });
  assert.equal(stray.status, 400, 'whether a queue is the default is not editable');
});

test('a queue with a call waiting cannot be deleted', async () => {
  const c = await center();
  const sales = await api<QueueDetail>(ctx, c.supervisor, 'POST', '/console/queues', { name: 'Sales' });
  await waitingCall(c.organisationId, sales.body.id);
  const res = await api<Err>(ctx, c.supervisor, 'DELETE', `/console/queues/${sales.body.id}`);
  assert.equal(res.status, 409);
  assert.match(res.body.error.message, /1 call waiting or in progress/);
  assert.equal((await api<QueueDetail[]>(ctx, c.supervisor, 'GET', '/console/queues')).body.length, 2);
});

test('members are replaced as a whole, and one unknown agent changes nothing', async () => {
  const c = await center();
  const outsider = await center();
  const set = await api<QueueDetail>(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/members`, [
    { agentId: c.alexId, priority: 2 },
    { agentId: c.blakeId, priority: 1 },
  ]);
  assert.equal(set.status, 200);
  assert.deepEqual(
    set.body.members.map((m) => [m.name, m.priority]),
    [
      ['Blake Agent', 1],
      ['Alex Agent', 2],
    ],
  );

  for (const stranger of [outsider.alexId, randomUUID()]) {
    const refused = await api<Err>(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/members`, [
      { agentId: c.supervisorId, priority: 3 },
      { agentId: c.alexId, priority: 5 },
      { agentId: stranger, priority: 1 },
    ]);
    assert.equal(refused.status, 404);
    assert.match(refused.body.error.message, /not found in your organisation; no member was changed/);
  }
  const members = await ctx.t.db
    .selectFrom('queue_member')
    .select(['agent_id', 'priority'])
    .where('queue_id', '=', c.defaultQueueId)
    .orderBy('priority')
    .execute();
  assert.deepEqual(members, [
    { agent_id: c.blakeId, priority: 1 },
    { agent_id: c.alexId, priority: 2 },
  ]);

  const emptied = await api<QueueDetail>(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/members`, []);
  assert.deepEqual(emptied.body.members, []);
});

test('turning automatic agent assignment on rings an available member for a waiting call', async () => {
  const c = await center();
  await ctx.t.db.updateTable('agent').set({ status: 'offline' }).where('user_id', 'in', [c.supervisorId, c.alexId]).execute();
  const callId = await waitingCall(c.organisationId, c.defaultQueueId);
  await ctx.service.engine.assignQueue(c.defaultQueueId);
  assert.equal((await callRow(callId)).state, 'queued', 'with AAA off the call waits');

  const res = await api<QueueDetail>(ctx, c.supervisor, 'PATCH', `/console/queues/${c.defaultQueueId}`, { aaaEnabled: true });
  assert.equal(res.status, 200);
  const call = await callRow(callId);
  assert.equal(call.state, 'ringing');
  assert.deepEqual(await ringingAgents(ctx, callId), [c.blakeId], 'the one available member rings');
});

test('adding an available agent as a member rings them for a waiting call', async () => {
  const c = await center();
  const support = await api<QueueDetail>(ctx, c.supervisor, 'POST', '/console/queues', { name: 'Support', aaaEnabled: true });
  const callId = await waitingCall(c.organisationId, support.body.id);
  await ctx.service.engine.assignQueue(support.body.id);
  assert.equal((await callRow(callId)).state, 'queued', 'a queue without members rings nobody');

  await api(ctx, c.supervisor, 'PUT', `/console/queues/${support.body.id}/members`, [{ agentId: c.alexId, priority: 1 }]);
  const call = await callRow(callId);
  assert.equal(call.state, 'ringing');
  assert.deepEqual(await ringingAgents(ctx, callId), [c.alexId]);
});

/** A call waiting in a queue, as a call link would have made it. */
const waitingCall = (organisationId: string, queueId: string) => insertCall(ctx.t.db, { organisationId, queueId });

const callRow = (callId: string) =>
  ctx.t.db.selectFrom('call').select(['state', 'agent_id']).where('id', '=', callId).executeTakeFirstOrThrow();
