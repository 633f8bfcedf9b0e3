/**
 * Several routing-service instances on one database behave as one (the routing-engine
 * issue): events reach a client whichever instance it is connected to (a console change
 * made through one reaches the live views and desktops on the other), and concurrent
 * arrivals on both instances never offer one call to two agents or two calls to one agent,
 * at the size (1,000 calls, 100 agents).
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

/**
 * The size: two instances, 1,000 calls arriving at once over 100 agents spread across
 * both. Each agent answers what rings and hangs up at once. The checks are on `call_offer`
 * rows, so they hold for strategies that ring several agents at once too.
 */
test('1,000 calls arriving concurrently over 100 agents on both instances: no double offers, none lost, all answered', async (t) => {
  const AGENTS = 100;
  const CALLS = 1000;
  /**
   * How long the clients wait for an acknowledgement. Under this burst an acknowledgement
   * (call:start, call:hangup) waits for the queue's coalesced assignment passes to settle, which
   * takes most of the burst; how long is reported below, and is not what this test asserts.
   */
  const ACK_MS = 90_000;
  const phase = phases(t);
  const org = await seed({ t: cluster.t }, { wrapUpSeconds: 0, agents: Array.from({ length: AGENTS }, () => ({ capacity: 100 })) });
  phase('seeded 100 agents');
  // Half the agents on each instance, as a load balancer would spread them.
  const agents = await Promise.all(
    org.emails.map(async (email, i) => {
      const at = instance(i % 2);
      return AgentClient.connect(at, await login(at, email));
    }),
  );
  phase('logged 100 agents in and connected them');

  /** Calls answered and then hung up by the test's agents, with who answered. */
  const answeredBy = new Map<string, string>();
  const latency = { answer: [] as number[], hangup: [] as number[] };
  const failures: string[] = [];
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  agents.forEach((agent, i) => {
    const agentId = org.ids[i] ?? '';
    agent.socket.on('agent:state', (s) => {
      const call = s.call;
      if (!call || call.state !== 'ringing') return;
      void (async () => {
        let started = performance.now();
        const answered = await agent.request('call:answer', { callId: call.callId }, ACK_MS);
        latency.answer.push(performance.now() - started);
        if (!answered.ok) return;
        started = performance.now();
        const hungUp = await agent.request('call:hangup', { callId: call.callId }, ACK_MS);
        latency.hangup.push(performance.now() - started);
        if (!hungUp.ok) return;
        answeredBy.set(call.callId, agentId);
        if (answeredBy.size === CALLS) allDone();
      })().catch((error: unknown) => failures.push(String(error)));
    });
  });

  const cookie = await login(instance(0), org.emails[0] ?? '');
  const links = await Promise.all(
    Array.from({ length: CALLS }, (_, i) =>
      createLink(instance(i % 2), cookie, { type: 'one_time', routing: 'routing_rules', identity: `caller-${i}` }),
    ),
  );
  const customers = await Promise.all(links.map(({ token }, i) => CustomerClient.connect(instance(i % 2), token)));
  phase('created 1,000 links and connected their customers, half on each instance');

  const burst = performance.now();
  const startLatency: number[] = [];
  const callIds = await Promise.all(
    customers.map(async (customer) => {
      const { call } = await customer.start('audio', ACK_MS);
      startLatency.push(performance.now() - burst);
      return call.callId;
    }),
  );
  const timeout = new Promise<never>((_resolve, reject) =>
    setTimeout(() => reject(new Error(`answered and ended ${answeredBy.size} of ${CALLS}`)), ACK_MS).unref(),
  );
  await Promise.race([finished, timeout]).catch(async (error: unknown) => {
    // Say which calls were not answered here and where they stand, so a failure explains itself.
    const missing = callIds.filter((id) => !answeredBy.has(id));
    const lost = await cluster.t.db.selectFrom('call').select(['id', 'state', 'end_reason']).where('id', 'in', missing).execute();
    throw new Error(`${String(error)}; ${JSON.stringify(lost.slice(0, 5))}; ${failures.slice(0, 3).join('; ')}`);
  });
  phase('1,000 calls started, rung, answered and hung up');
  t.diagnostic(`acknowledgements: call:start ${spread(startLatency)}; answer ${spread(latency.answer)}; hangup ${spread(latency.hangup)}`);
  assert.deepEqual(failures, []);

  // None lost: every call was answered by one of the test's agents and ended normally.
  const calls = await cluster.t.db.selectFrom('call').select(['id', 'state', 'end_reason']).where('id', 'in', callIds).execute();
  assert.equal(calls.length, CALLS);
  assert.deepEqual(new Set(calls.map((c) => `${c.state}/${c.end_reason}`)), new Set(['ended/agent_hangup']));
  assert.deepEqual(new Set(answeredBy.keys()), new Set(callIds));

  const offers = await cluster.t.db
    .selectFrom('call_offer')
    .select(['call_id', 'agent_id', 'offered_at', 'outcome', 'outcome_at'])
    .where('call_id', 'in', callIds)
    .orderBy('offered_at')
    .orderBy('id')
    .execute();
  // A call is never answered twice, and the answer on record is the test agent's who answered it.
  const answers = offers.filter((o) => o.outcome === 'answered');
  assert.equal(answers.length, CALLS);
  assert.equal(new Set(answers.map((o) => o.call_id)).size, CALLS);
  for (const o of answers) assert.equal(o.agent_id, answeredBy.get(o.call_id));
  // An agent never holds two offers at once: each closed before their next one opened.
  assert.ok(
    offers.every((o) => o.outcome_at !== null),
    'no offer left open',
  );
  const byAgent = new Map<string, typeof offers>();
  for (const o of offers) byAgent.set(o.agent_id, [...(byAgent.get(o.agent_id) ?? []), o]);
  for (const [agentId, list] of byAgent) {
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1];
      const current = list[i];
      assert.ok(previous?.outcome_at && current && previous.outcome_at <= current.offered_at, `agent ${agentId} held two offers at once`);
    }
  }
  t.diagnostic(`${offers.length} offers for ${CALLS} calls; ${byAgent.size} of ${AGENTS} agents answered`);
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

/** Logs how long each phase of a test took, as `# …` lines in the test's output. */
function phases(t: { diagnostic(message: string): void }) {
  let last = performance.now();
  return (what: string) => {
    const now = performance.now();
    t.diagnostic(`${what}: ${((now - last) / 1000).toFixed(1)} s`);
    last = now;
  };
}

/** p50 / p99 / max of some durations in ms. */
function spread(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms (n=${sorted.length})`;
}
