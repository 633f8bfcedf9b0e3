/**
 * Several routing-service instances on one database behave as one (the routing-engine
 * issue): events reach a client whichever instance it is connected to (a console change
 * made through one reaches the live views and desktops on the other), and concurrent
 * arrivals on both instances never offer one call to two agents or two calls to one agent.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MediaJoin } from '@cc/contracts';
import { AgentClient, CustomerClient, SupervisorClient, api, createLink, login, seed } from '../testing/context.ts';
import { startProcessCluster } from '../testing/process.ts';

let cluster: Awaited<ReturnType<typeof startProcessCluster>>;
before(async () => {
  cluster = await startProcessCluster(2);
});
after(async () => {
  await cluster.close();
});

const instance = (i: number) => {
  const found = cluster.instances[i];
  if (!found) throw new Error(`no instance ${i}`);
  return found;
};

async function startCall(customer: CustomerClient): Promise<string> {
  const res = (await customer.socket.timeout(10_000).emitWithAck('call:start', { media: 'audio' })) as
    { ok: true; data: { call: { callId: string }; media: MediaJoin } } | { ok: false; error: unknown };
  assert.ok(res.ok, JSON.stringify(res));
  return res.data.call.callId;
}

test('an agent on one instance is offered a call that arrived on the other, and both sides see every change', async () => {
  const [a, b] = [instance(0), instance(1)];
  const org = await seed({ t: cluster.t }, { agents: [{}] });
  const cookie = await login(a, org.emails[0] ?? '');
  const agent = await AgentClient.connect(a, cookie);
  const { token } = await createLink(a, cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Across' });
  const customer = await CustomerClient.connect(b, token);
  const callId = await startCall(customer);

  await agent.waitFor((s) => s.call?.callId === callId && s.call.state === 'ringing');
  assert.ok((await agent.request('call:answer', { callId })).ok);
  await customer.waitForState('connected');
  assert.ok((await agent.request('call:hangup', { callId })).ok);
  await customer.waitForState('ended');
  agent.close();
  customer.close();
});

test('calls arriving concurrently on both instances: no double offers, none lost, all answered', async () => {
  const AGENTS = 20;
  const CALLS = 200;
  const org = await seed({ t: cluster.t }, { wrapUpSeconds: 0, agents: Array.from({ length: AGENTS }, () => ({ capacity: 100 })) });
  // Half the agents on each instance; each answers what rings and hangs up at once.
  const agents = await Promise.all(
    org.emails.map(async (email, i) => {
      const at = instance(i % 2);
      return AgentClient.connect(at, await login(at, email));
    }),
  );
  /** Calls answered and then hung up by the test's agents. */
  const done = new Set<string>();
  for (const agent of agents) {
    agent.socket.on('agent:state', (s) => {
      const call = s.call;
      if (!call || call.state !== 'ringing') return;
      void agent.request('call:answer', { callId: call.callId }).then(async (res) => {
        if (!res.ok) return;
        if ((await agent.request('call:hangup', { callId: call.callId })).ok) done.add(call.callId);
      });
    });
  }
  const cookie = await login(instance(0), org.emails[0] ?? '');
  const links = await Promise.all(
    Array.from({ length: CALLS }, (_, i) =>
      createLink(instance(0), cookie, { type: 'one_time', routing: 'routing_rules', identity: `caller-${i}` }),
    ),
  );
  const customers = await Promise.all(links.map(({ token }, i) => CustomerClient.connect(instance(i % 2), token)));
  const callIds = await Promise.all(customers.map((c) => startCall(c)));

  const deadline = Date.now() + 60_000;
  while (done.size < CALLS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(done.size, CALLS, `answered and ended ${done.size} of ${CALLS}`);

  const calls = await cluster.t.db.selectFrom('call').select(['id', 'state']).where('id', 'in', callIds).execute();
  assert.deepEqual(new Set(calls.map((c) => c.state)), new Set(['ended']), 'every call ended normally');
  // One answer per call, and no agent ever held two offers at once.
  const offers = await cluster.t.db
    .selectFrom('call_offer')
    .select(['call_id', 'agent_id', 'offered_at', 'outcome', 'outcome_at'])
    .where('call_id', 'in', callIds)
    .orderBy('offered_at')
    .execute();
  const answers = offers.filter((o) => o.outcome === 'answered');
  assert.equal(answers.length, CALLS);
  assert.equal(new Set(answers.map((o) => o.call_id)).size, CALLS);
  const byAgent = new Map<string, typeof offers>();
  for (const o of offers) byAgent.set(o.agent_id, [...(byAgent.get(o.agent_id) ?? []), o]);
  for (const [agentId, list] of byAgent) {
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1];
      const current = list[i];
      assert.ok(previous?.outcome_at && current && previous.outcome_at <= current.offered_at, `agent ${agentId} held two offers at once`);
    }
  }
  for (const c of [...agents, ...customers]) c.close();
});

test('a console change made through one instance reaches the live view and the desktop connected to the other', async () => {
  const [a, b] = [instance(0), instance(1)];
  const org = await seed({ t: cluster.t }, { agents: [{ role: 'supervisor' }, {}] });
  const [supervisorEmail = '', agentEmail = ''] = org.emails;
  const supervisor = await SupervisorClient.connect(b, await login(b, supervisorEmail));
  const agent = await AgentClient.connect(b, await login(b, agentEmail));
  try {
    // Through instance a, where nobody watches this organisation.
    const res = await api(a, await login(a, supervisorEmail), 'PATCH', `/console/queues/${org.defaultQueueId}`, { name: 'Front desk' });
    assert.equal(res.status, 200);
    await supervisor.waitFor((v) => v.queues.some((q) => q.queueId === org.defaultQueueId && q.name === 'Front desk'), 5_000);
    await agent.waitFor((s) => s.queues.some((q) => q.id === org.defaultQueueId && q.name === 'Front desk'), 5_000);
  } finally {
    supervisor.close();
    agent.close();
  }
});
