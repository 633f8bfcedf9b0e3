/**
 * A client whose routing-service instance dies reconnects to another and sees the same state
 * (the multi-instance issue's requirement), on real processes killed with SIGKILL: an agent
 * gets their call back with their session cookie; a customer gets theirs back with the resume
 * credential `call:start` gave them, and a fresh media join. A customer who never comes back
 * has the call ended after the reconnect grace, by whichever instance is alive; a blip is not
 * a hang-up, a goodbye is; a forged or foreign resume credential is refused and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signResumeToken } from '@cc/contracts/resume-token';
import { AgentClient, CustomerClient, createLink, login, seed } from '../testing/context.ts';
import { startProcessCluster, type RoutingProcess } from '../testing/process.ts';

/** Short, so a customer who never comes back is given up on quickly; renewals run every third of it. */
const GRACE_SECONDS = 3;

let cluster: Awaited<ReturnType<typeof startProcessCluster>>;
before(async () => {
  cluster = await startProcessCluster(2, { CUSTOMER_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) });
});
after(async () => {
  await cluster.close();
});

/** The two instances, both running: a test that killed one started it again. */
const down = new Set<RoutingProcess>();
async function instances(): Promise<[RoutingProcess, RoutingProcess]> {
  const [a, b] = cluster.instances;
  if (!a || !b) throw new Error('two instances expected');
  for (const i of [...down]) {
    await i.start();
    down.delete(i);
  }
  return [a, b];
}
async function kill(instance: RoutingProcess): Promise<number> {
  down.add(instance);
  await instance.kill();
  return Date.now();
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

const callRow = (callId: string) =>
  cluster.t.db.selectFrom('call').select(['state', 'end_reason', 'ended_at']).where('id', '=', callId).executeTakeFirstOrThrow();

/** A connected call: the agent on `agentAt`, the customer (one-time link) on `customerAt`. */
async function connectedCall(agentAt: RoutingProcess, customerAt: RoutingProcess) {
  const org = await seed({ t: cluster.t }, { agents: [{ name: 'Grace Hopper' }] });
  const cookie = await login(agentAt, org.emails[0] ?? '');
  const agent = await AgentClient.connect(agentAt, cookie);
  const { token } = await createLink(agentAt, cookie, { type: 'one_time', routing: 'to_sharing_agent', identity: 'Failover' });
  const customer = await CustomerClient.connect(customerAt, token);
  const started = await customer.start();
  const callId = started.call.callId;
  await agent.waitFor((s) => s.call?.callId === callId && s.call.state === 'ringing');
  assert.ok((await agent.request('call:answer', { callId })).ok);
  await customer.waitForState('connected');
  return { org, cookie, agent, customer, token, callId, resume: started.resume, roomId: started.media.roomId };
}

test('an agent whose instance dies reconnects to another, gets the same connected call, and hangs it up normally', async () => {
  const [a, b] = await instances();
  const { cookie, agent, customer, callId } = await connectedCall(a, b);

  await kill(a);
  agent.close();
  // As a load balancer would: the same desktop, with the same session cookie, lands on B.
  const again = await AgentClient.connect(b, cookie);
  assert.equal(again.snapshot?.call?.callId, callId);
  assert.equal(again.snapshot.call?.state, 'connected');
  assert.equal(again.snapshot.status, 'on_call');
  const media = await again.request('call:media', { callId });
  assert.ok(media.ok, JSON.stringify(media));
  assert.equal(media.data.media.roomId, callId);

  assert.ok((await again.request('call:hangup', { callId })).ok);
  await customer.waitForState('ended');
  await again.waitFor((s) => s.status === 'wrap_up' && s.call === null);
  assert.equal((await callRow(callId)).end_reason, 'agent_hangup');
  again.close();
  customer.close();
});

test('a customer whose instance dies resumes on another: connected, a fresh media join, the agent unaffected', async () => {
  const [a, b] = await instances();
  const { agent, customer, token, callId, resume, roomId } = await connectedCall(b, a);
  const agentStates: string[] = [];
  agent.socket.on('agent:state', (s) => agentStates.push(`${s.status}/${s.call?.state ?? '-'}`));

  const killedAt = await kill(a);
  customer.close();
  const back = await CustomerClient.connect(b, token, { resume });
  const told = await back.waitForState('connected');
  assert.equal(told.callId, callId);
  assert.equal(told.agentName, 'Grace');
  const rejoined = await back.request('call:rejoin', {});
  assert.ok(rejoined.ok, JSON.stringify(rejoined));
  assert.equal(rejoined.data.media.roomId, roomId);
  assert.equal(rejoined.data.call.state, 'connected');
  assert.ok(rejoined.data.resume.length > 0);

  // B keeps the call's grace pushed forward: once it reaches past where A's last push would
  // have let it fall due, the call has outlived the grace A gave it, and is still connected.
  await until('B to renew the grace', async () => {
    const grace = await cluster.t.db
      .selectFrom('timer')
      .select('due_at')
      .where('kind', '=', 'reconnect_grace')
      .where('subject_id', '=', callId)
      .executeTakeFirst();
    return grace && grace.due_at.getTime() > killedAt + 2 * GRACE_SECONDS * 1000 ? grace : undefined;
  });
  assert.equal((await callRow(callId)).state, 'connected');
  assert.equal(agent.snapshot?.call?.state, 'connected');
  // A snapshot another instance computed after the answer may still arrive (cross-instance pushes
  // are not ordered with local ones); what matters is that none of them shows a change.
  assert.deepEqual(
    agentStates.filter((state) => state !== 'on_call/connected'),
    [],
    'the agent saw no change',
  );

  assert.ok((await agent.request('call:hangup', { callId })).ok);
  await back.waitForState('ended');
  agent.close();
  back.close();
});

test('a customer who never comes back: the call ends after the grace, though the instance that had them died', async () => {
  const [a, b] = await instances();
  const { agent, customer, callId } = await connectedCall(b, a);

  const killedAt = await kill(a);
  customer.close();
  const wrapUp = await agent.waitFor((s) => s.status === 'wrap_up', (GRACE_SECONDS + 5) * 1000);
  assert.equal(wrapUp.wrapUp?.callId, callId);
  const call = await callRow(callId);
  assert.deepEqual([call.state, call.end_reason], ['ended', 'customer_lost']);
  const waited = (call.ended_at?.getTime() ?? 0) - killedAt;
  // A's last push was at most a third of the grace before the kill.
  assert.ok(waited >= (GRACE_SECONDS * 2000) / 3 - 100, `ended ${waited} ms after the crash: too early`);
  const ends = await cluster.t.db
    .selectFrom('call_event')
    .select('data')
    .where('call_id', '=', callId)
    .where('type', '=', 'call_ended')
    .execute();
  assert.deepEqual(
    ends.map((e) => e.data.reason),
    ['customer_lost'],
  );
  agent.close();
});

test('a dropped connection is not a hang-up: the customer resumes within the grace; closing the page on purpose ends the call at once', async () => {
  const [a, b] = await instances();
  const { agent, customer, token, callId, resume } = await connectedCall(b, a);

  // The transport drops under the socket (a network blip), not a goodbye from the page.
  customer.socket.io.engine.close();
  const back = await CustomerClient.connect(a, token, { resume });
  assert.equal((await back.waitForState('connected')).callId, callId);
  assert.equal((await callRow(callId)).state, 'connected');

  back.close();
  await agent.waitFor((s) => s.status === 'wrap_up');
  assert.equal((await callRow(callId)).end_reason, 'customer_hangup');
  await assert.rejects(CustomerClient.connect(a, token, { resume }), /call_ended/);
  agent.close();
});

test('a customer who dropped and whose instance then died: the call still ends after the grace', async () => {
  const [a, b] = await instances();
  const { agent, customer, callId } = await connectedCall(b, a);

  customer.socket.io.engine.close();
  await kill(a);
  await agent.waitFor((s) => s.status === 'wrap_up', (GRACE_SECONDS + 5) * 1000);
  assert.equal((await callRow(callId)).end_reason, 'customer_lost');
  agent.close();
});

test('a forged, foreign or garbled resume credential is refused with a clear error and changes nothing', async () => {
  const [a, b] = await instances();
  const { cookie, agent, customer, token, callId, resume } = await connectedCall(a, b);
  const other = await createLink(a, cookie, { type: 'one_time', routing: 'to_sharing_agent', identity: 'Someone else' });
  const graceBefore = await cluster.t.db.selectFrom('timer').select('id').where('subject_id', '=', callId).execute();

  const refusals = await Promise.all(
    [
      { linkToken: token, resume: await signResumeToken(callId, 'not the service secret, but long enough') },
      { linkToken: other.token, resume },
      { linkToken: token, resume: 'garbage' },
    ].map(({ linkToken, resume: credential }) =>
      CustomerClient.connect(b, linkToken, { resume: credential }).then(
        () => 'admitted',
        (error: Error & { data?: { code: string; message: string } }) => `${error.message}: ${error.data?.message ?? ''}`,
      ),
    ),
  );
  assert.deepEqual(refusals, Array(3).fill('resume_refused: This call cannot be resumed from here'));

  assert.equal((await callRow(callId)).state, 'connected');
  assert.deepEqual(await cluster.t.db.selectFrom('timer').select('id').where('subject_id', '=', callId).execute(), graceBefore);
  assert.equal(agent.snapshot?.call?.state, 'connected');
  assert.ok((await agent.request('call:hangup', { callId })).ok);
  await customer.waitForState('ended');
  agent.close();
  customer.close();
});
