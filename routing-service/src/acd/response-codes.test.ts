/**
 * Response codes (SPEC §8): keys of the call page's keypad during the announcement (while
 * waiting) or the away message (outside working hours) trigger the queue's action: `callback`
 * files a callback request (SPEC §10, `in_queue`) and ends the call; `voicemail` (SPEC §9) takes
 * the call out of the queue while the caller leaves a message, filed in the callback list at
 * once and ended as a message (not an abandoned call) when they hang up or the longest message
 * is reached. Other keys change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_WAITING_STRATEGY, DEFAULT_WORKING_HOURS, type CallbackRequestView, type ErrorBody, type PromptView } from '@cc/contracts';
import { api, CustomerClient, createLink, login, seed, startTestContext, type TestContext } from '../testing/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

async function center() {
  const org = await seed(ctx, { agents: [{ role: 'supervisor', name: 'Sam Supervisor', status: 'away' }] });
  await ctx.t.db.updateTable('queue').set({ aaa_enabled: true }).where('id', '=', org.defaultQueueId).execute();
  const supervisor = await login(ctx, org.emails[0] ?? '');
  const strategy = (patch: object) =>
    api<{ error?: ErrorBody }>(ctx, supervisor, 'PUT', `/console/queues/${org.defaultQueueId}/waiting-strategy`, {
      ...DEFAULT_WAITING_STRATEGY,
      ...patch,
    });
  const caller = async (identity: string) => {
    const { token } = await createLink(ctx, supervisor, { type: 'one_time', routing: 'routing_rules', identity });
    const customer = await CustomerClient.connect(ctx, token);
    return { customer, ...(await customer.start()) };
  };
  return { ...org, supervisor, strategy, caller };
}

test('outside hours, a key during the away message files a callback request and ends the call', async () => {
  const c = await center();
  const away = (
    await api<PromptView>(ctx, c.supervisor, 'POST', '/console/prompts/speech', {
      name: 'Away',
      text: 'We are closed. Press 1 to be called back.',
    })
  ).body;
  await api(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/working-hours`, {
    ...DEFAULT_WORKING_HOURS,
    enabled: true,
    weekly: [],
    awayMessagePromptId: away.id,
  });
  assert.equal(
    (await c.strategy({ responseCodes: [{ context: 'away', digit: '1', action: 'callback' }], digitWaitSeconds: 10 })).status,
    200,
  );

  const { customer, call } = await c.caller('+44 20 7946 0000');
  assert.deepEqual(call.keys, ['1']);
  const nothing = await customer.request('call:digit', { digit: '2' });
  assert.deepEqual(nothing, { ok: false, error: { code: 'invalid_transition', message: 'That key does nothing now.' } });
  assert.deepEqual(await customer.request('call:digit', { digit: '1' }), { ok: true, data: null });
  const ended = await customer.waitForState('ended');
  assert.equal(ended.endReason, 'callback_requested');
  const requests = await ctx.t.db.selectFrom('callback_request').selectAll().where('organisation_id', '=', c.organisationId).execute();
  assert.equal(requests.length, 1);
  assert.equal(requests[0]?.status, 'in_queue');
  assert.equal(requests[0]?.customer_identity, '+44 20 7946 0000');
  assert.equal(requests[0]?.call_id, call.callId);
  const events = await ctx.t.db.selectFrom('call_event').select('type').where('call_id', '=', call.callId).orderBy('id').execute();
  assert.deepEqual(
    events.map((e) => e.type),
    ['call_queued', 'outside_hours', 'response_code', 'call_ended'],
  );
  customer.socket.close();
});

test('while waiting, a key of the announcement files a callback request; no code, no change', async () => {
  const c = await center();
  const plain = await c.caller('first@example.test');
  assert.deepEqual(plain.call.keys, []);
  const refused = await plain.customer.request('call:digit', { digit: '9' });
  assert.equal(refused.ok, false);
  assert.equal(
    (await ctx.t.db.selectFrom('call').select('state').where('id', '=', plain.call.callId).executeTakeFirstOrThrow()).state,
    'queued',
  );

  assert.equal((await c.strategy({ responseCodes: [{ context: 'announcement', digit: '9', action: 'callback' }] })).status, 200);
  const waiting = await c.caller('second@example.test');
  assert.deepEqual(waiting.call.keys, ['9']);
  assert.ok((await waiting.customer.request('call:digit', { digit: '9' })).ok);
  await waiting.customer.waitForState('ended');
  const requests = await ctx.t.db
    .selectFrom('callback_request')
    .select('customer_identity')
    .where('organisation_id', '=', c.organisationId)
    .execute();
  assert.deepEqual(requests, [{ customer_identity: 'second@example.test' }]);
  plain.customer.socket.close();
  waiting.customer.socket.close();
});

test('response codes are checked: one key, one action per message', async () => {
  const c = await center();
  const bad = await c.strategy({ responseCodes: [{ context: 'away', digit: '12', action: 'callback' }] });
  assert.equal(bad.body.error?.message, 'A response code is one key: 0 to 9, * or #.');
  const twice = await c.strategy({
    responseCodes: [
      { context: 'away', digit: '1', action: 'callback' },
      { context: 'away', digit: '1', action: 'callback' },
    ],
  });
  assert.equal(twice.body.error?.message, 'Each key may do one thing per message.');
  const wait = await c.strategy({ digitWaitSeconds: 60 });
  assert.equal(wait.body.error?.message, 'The wait for a key must be a whole number of seconds from 0 to 30.');
  const saved = await api<{ responseCodes: unknown[] }>(ctx, c.supervisor, 'GET', `/console/queues/${c.defaultQueueId}/waiting-strategy`);
  assert.deepEqual(saved.body.responseCodes, [], 'refusals change nothing');
});

async function closedWithVoicemail(c: Awaited<ReturnType<typeof center>>, patch: object = {}) {
  assert.equal(
    (
      await api(ctx, c.supervisor, 'PUT', `/console/queues/${c.defaultQueueId}/working-hours`, {
        ...DEFAULT_WORKING_HOURS,
        enabled: true,
        weekly: [],
      })
    ).status,
    200,
  );
  assert.equal(
    (await c.strategy({ responseCodes: [{ context: 'away', digit: '3', action: 'voicemail' }], digitWaitSeconds: 20, ...patch })).status,
    200,
  );
}

test('a voicemail: the call leaves the queue, lands in the callback list at once, and ends as a message on hang-up', async () => {
  const c = await center();
  await closedWithVoicemail(c, { voicemailMaxSeconds: 45 });
  const { customer, call } = await c.caller('+44 20 7946 0333');
  assert.deepEqual(call.keys, ['3']);
  const pressedAt = Date.now();
  assert.deepEqual(await customer.request('call:digit', { digit: '3' }), { ok: true, data: null });
  const leaving = await customer.waitFor((view) => view.endReason === 'voicemail');
  assert.equal(leaving.state, 'queued', 'the caller is still on the line');
  assert.deepEqual(leaving.keys, [], 'keys do nothing while the message is left');
  // The longest message, after the tone (1 s): 45 s.
  const endsIn = new Date(leaving.voicemailEndsAt ?? 0).getTime() - pressedAt;
  assert.ok(endsIn > 45_000 && endsIn < 47_500, `voicemail ends in ${endsIn} ms`);
  assert.equal((await customer.request('call:digit', { digit: '3' })).ok, false);

  const session = await ctx.t.db
    .selectFrom('recording_session')
    .select(['id', 'kind', 'agent_id', 'state'])
    .where('call_id', '=', call.callId)
    .executeTakeFirstOrThrow();
  assert.deepEqual({ ...session, id: undefined }, { id: undefined, kind: 'voicemail', agent_id: null, state: 'recording' });
  const listed = await api<CallbackRequestView[]>(ctx, c.supervisor, 'GET', '/callbacks');
  assert.equal(listed.status, 200);
  assert.equal(listed.body.length, 1);
  assert.equal(listed.body[0]?.kind, 'voicemail');
  assert.equal(listed.body[0]?.customerIdentity, '+44 20 7946 0333');
  assert.equal(listed.body[0]?.recordingInProgress, true);
  const timer = await ctx.t.db
    .selectFrom('timer')
    .select('due_at')
    .where('subject_id', '=', call.callId)
    .where('kind', '=', 'waiting_end')
    .executeTakeFirstOrThrow();
  assert.equal(timer.due_at.toISOString(), leaving.voicemailEndsAt);

  assert.ok((await customer.request('call:hangup', {})).ok);
  const row = await ctx.t.db.selectFrom('call').select(['state', 'end_reason']).where('id', '=', call.callId).executeTakeFirstOrThrow();
  assert.deepEqual(row, { state: 'ended', end_reason: 'voicemail' }, 'a message, not an abandoned call');
  const events = await ctx.t.db.selectFrom('call_event').select('type').where('call_id', '=', call.callId).orderBy('id').execute();
  assert.deepEqual(
    events.map((e) => e.type),
    ['call_queued', 'outside_hours', 'response_code', 'voicemail_started', 'call_ended'],
  );
  const timers = await ctx.t.db
    .selectFrom('timer')
    .select('kind')
    .where('subject_id', '=', call.callId)
    .where('kind', '=', 'waiting_end')
    .execute();
  assert.deepEqual(timers, [], 'the longest-message timer is dropped');
  const after = await api<CallbackRequestView[]>(ctx, c.supervisor, 'GET', '/callbacks?kind=voicemail');
  assert.equal(after.body[0]?.recordingInProgress, false);
  customer.socket.close();
});

test('the longest voicemail ends the call as a message when its time is up', async () => {
  const c = await center();
  await closedWithVoicemail(c, { voicemailMaxSeconds: 10 });
  const { customer, call } = await c.caller('long@example.test');
  assert.ok((await customer.request('call:digit', { digit: '3' })).ok);
  await customer.waitFor((view) => view.endReason === 'voicemail');
  // Bring the end forward instead of waiting 11 s; the engine fires due timers on its own beat too.
  await ctx.t.db
    .updateTable('timer')
    .set({ due_at: new Date() })
    .where('subject_id', '=', call.callId)
    .where('kind', '=', 'waiting_end')
    .execute();
  await ctx.service.engine.fireDueTimers();
  const ended = await customer.waitForState('ended');
  assert.equal(ended.endReason, 'voicemail');
  const event = await ctx.t.db
    .selectFrom('call_event')
    .select(['actor_type', 'data'])
    .where('call_id', '=', call.callId)
    .where('type', '=', 'call_ended')
    .executeTakeFirstOrThrow();
  assert.equal(event.actor_type, 'system');
  customer.socket.close();
});

test('the callback list: agents see their own queues’ requests, and a bad filter is refused', async () => {
  const c = await center();
  await closedWithVoicemail(c);
  const { customer } = await c.caller('caller@example.test');
  assert.ok((await customer.request('call:digit', { digit: '3' })).ok);
  await customer.waitFor((view) => view.endReason === 'voicemail');
  const elsewhere = await seed(ctx, { agents: [{ role: 'agent', name: 'Olga Other' }] });
  const outsider = await login(ctx, elsewhere.emails[0] ?? '');
  assert.deepEqual((await api<CallbackRequestView[]>(ctx, outsider, 'GET', '/callbacks')).body, [], 'another organisation sees nothing');
  // An agent of the organisation sees the requests of the queues they are a member of.
  const agentId = (
    await ctx.t.db
      .selectFrom('user_account')
      .select('id')
      .where('email', '=', c.emails[0] ?? '')
      .executeTakeFirstOrThrow()
  ).id;
  await ctx.t.db.updateTable('user_account').set({ role: 'agent' }).where('id', '=', agentId).execute();
  const agent = await login(ctx, c.emails[0] ?? '');
  const mine = await api<CallbackRequestView[]>(ctx, agent, 'GET', '/callbacks');
  assert.deepEqual(
    mine.body.map((r) => [r.kind, r.customerIdentity]),
    [['voicemail', 'caller@example.test']],
  );
  await ctx.t.db.deleteFrom('queue_member').where('agent_id', '=', agentId).execute();
  assert.deepEqual((await api<CallbackRequestView[]>(ctx, agent, 'GET', '/callbacks')).body, [], 'not a member: not listed');
  const bad = await api<{ error?: ErrorBody }>(ctx, agent, 'GET', '/callbacks?status=lost');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error?.message, 'Choose a status from the list.');
  customer.socket.close();
});

test('voicemail settings are checked', async () => {
  const c = await center();
  const short = await c.strategy({ voicemailMaxSeconds: 5 });
  assert.equal(short.body.error?.message, 'The longest voicemail must be a whole number of seconds from 10 to 600.');
  const foreign = await c.strategy({ voicemailPromptId: '00000000-0000-4000-8000-000000000000' });
  assert.equal(foreign.status, 400);
});
