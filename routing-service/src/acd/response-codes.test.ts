/**
 * Response codes (SPEC §8): keys of the call page's keypad during the announcement (while
 * waiting) or the away message (outside working hours) trigger the queue's action: `callback`
 * files a callback request (SPEC §10, `in_queue`) and ends the call. Other keys change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_WAITING_STRATEGY, DEFAULT_WORKING_HOURS, type ErrorBody, type PromptView } from '@cc/contracts';
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
