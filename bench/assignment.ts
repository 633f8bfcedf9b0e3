/**
 * Routing under load, on one routing-service instance (the whole stack: embedded
 * PostgreSQL, SFU, routing service as its own process). 500 agents are connected as
 * Socket.IO clients and 1,000 calls wait in a second queue whose members are all busy, so
 * every assignment pass works beside that backlog. Customers then arrive at increasing rates
 * on the call-link path (`call:start`); each agent answers what rings and hangs up at once.
 *
 * Prints, per arrival rate: call arrival → offer received by the agent client, p50 and p99,
 * and the highest sustained rate whose p99 stays under 50 ms. Times are taken in this
 * process (the clients), not inside the service. PostgreSQL runs with pg_stat_statements,
 * so each rate also prints the database statements per call (database time counts planning and execution), and with BENCH_TOP=N the N
 * statements that took the most database time. With BENCH_EXPLAIN_MS=N, every statement
 * slower than N ms has its plan (EXPLAIN ANALYZE) written to BENCH_EXPLAIN_LOG
 * (default bench-explain.log). With BENCH_PROFILE=dir, the routing service writes a CPU profile there.
 * Usage: node --import tsx bench/assignment.ts [agents=500] [backlog=1000] [rates=25,50,100,200,300]
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { AgentSnapshot } from '@cc/contracts';
import { sql } from 'kysely';
import { createDb, startEmbeddedPostgres } from '@cc/migrations';
import { hashPassword } from '@cc/routing-service/passwords';
import { startStack } from '@cc/stack';

const AGENTS = Number(process.argv[2] ?? 500);
const BACKLOG = Number(process.argv[3] ?? 1000);
const RATES = (process.argv[4] ?? '25,50,100,200,300').split(',').map(Number);
const TOP = Number(process.env.BENCH_TOP ?? 0);
const EXPLAIN_MS = process.env.BENCH_EXPLAIN_MS;
const SECONDS_PER_RATE = 4;
const WARM_UP_RATE = 25;
const PASSWORD = 'bench password that is long';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-bench-'));
// Production settings (durable commits), plus statement statistics.
const postgres = await startEmbeddedPostgres({
  dir: path.join(dataDir, 'postgres'),
  persistent: false,
  settings: [
    'pg_stat_statements.track=all',
    'pg_stat_statements.track_planning=on',
    ...(EXPLAIN_MS
      ? [
          'shared_preload_libraries=pg_stat_statements,auto_explain',
          `auto_explain.log_min_duration=${EXPLAIN_MS}`,
          'auto_explain.log_analyze=on',
          'auto_explain.log_buffers=on',
        ]
      : ['shared_preload_libraries=pg_stat_statements']),
  ],
  ...(EXPLAIN_MS ? { onLog: (message: string) => appendFileSync(process.env.BENCH_EXPLAIN_LOG ?? 'bench-explain.log', message) } : {}),
});
// BENCH_PROFILE=dir writes a CPU profile of the routing service there when it stops.
const profileDir = process.env.BENCH_PROFILE;
const stack = await startStack({
  dataDir,
  port: 0,
  demo: false,
  databaseUrl: postgres.urlFor('postgres'),
  env: { LOG_LEVEL: 'warn' },
  ...(profileDir ? { nodeArgs: { 'routing-service': ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] } } : {}),
});
const db = createDb(stack.databaseUrl, 4);
await sql`create extension if not exists pg_stat_statements`.execute(db);
const sockets: Socket[] = [];
try {
  // One organisation: "Measured" (every agent, automatic assignment on) and "Backlog"
  // (1,000 waiting calls, automatic assignment on, no member free).
  const org = await db.insertInto('organisation').values({ name: 'Bench', wrap_up_seconds: 0 }).returning('id').executeTakeFirstOrThrow();
  const measured = await db
    .insertInto('queue')
    .values({ organisation_id: org.id, name: 'Default', is_default: true, aaa_enabled: true })
    .returning('id')
    .executeTakeFirstOrThrow();
  const backlog = await db
    .insertInto('queue')
    .values({ organisation_id: org.id, name: 'Backlog', aaa_enabled: true })
    .returning('id')
    .executeTakeFirstOrThrow();
  const hash = await hashPassword(PASSWORD);
  const agentIds: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const user = await db
      .insertInto('user_account')
      .values({
        organisation_id: org.id,
        email: `bench-${i}-${randomUUID()}@example.test`,
        name: `Agent ${i}`,
        role: 'agent',
        password_hash: hash,
      })
      .returning(['id', 'email'])
      .executeTakeFirstOrThrow();
    await db.insertInto('agent').values({ user_id: user.id, organisation_id: org.id, status: 'available', capacity: 100 }).execute();
    await db.insertInto('queue_member').values({ queue_id: measured.id, agent_id: user.id }).execute();
    agentIds.push(user.email);
  }
  // The backlog's only member is offline: its calls wait, and every pass sees them.
  const offline = await db
    .insertInto('user_account')
    .values({
      organisation_id: org.id,
      email: `bench-offline-${randomUUID()}@example.test`,
      name: 'Offline',
      role: 'agent',
      password_hash: hash,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('agent').values({ user_id: offline.id, organisation_id: org.id, status: 'offline' }).execute();
  await db.insertInto('queue_member').values({ queue_id: backlog.id, agent_id: offline.id }).execute();
  for (let i = 0; i < BACKLOG; i++) {
    const conversation = await db
      .insertInto('conversation')
      .values({ organisation_id: org.id, customer_identity: `waiting-${i}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = randomUUID();
    await db
      .insertInto('call')
      .values({ id, organisation_id: org.id, conversation_id: conversation.id, queue_id: backlog.id, media: 'audio', room_id: id })
      .execute();
  }

  // Agents log in and connect; each answers what rings and hangs up at once.
  const offeredAt = new Map<string, number>();
  const login = async (email: string) => {
    const res = await fetch(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    return res.headers.get('set-cookie')?.split(';')[0] ?? '';
  };
  for (const email of agentIds) {
    const socket = io(`${stack.url}/agent`, { forceNew: true, transports: ['websocket'], extraHeaders: { cookie: await login(email) } });
    sockets.push(socket);
    socket.on('agent:state', (s: AgentSnapshot) => {
      const call = s.call;
      if (!call || call.state !== 'ringing' || offeredAt.has(call.callId)) return;
      offeredAt.set(call.callId, performance.now());
      void socket
        .timeout(10_000)
        .emitWithAck('call:answer', { callId: call.callId })
        .then(() => socket.timeout(10_000).emitWithAck('call:hangup', { callId: call.callId }))
        .catch(() => undefined);
    });
    await new Promise<void>((resolve) => socket.once('agent:state', () => resolve()));
  }

  // Call links for every arrival, made up front through the API.
  // A warm-up round first (not reported): the first calls compile code and fill caches.
  const rounds = [{ rate: WARM_UP_RATE, warmUp: true }, ...RATES.map((rate) => ({ rate, warmUp: false }))];
  const total = rounds.reduce((n, r) => n + r.rate * SECONDS_PER_RATE, 0);
  const cookie = await login(agentIds[0] ?? '');
  const tokens: string[] = [];
  for (let i = 0; i < total; i++) {
    const res = await fetch(`${stack.url}/api/call-links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ type: 'one_time', routing: 'routing_rules', identity: `customer-${i}` }),
    });
    const body = (await res.json()) as { url: string };
    tokens.push(body.url.split('/c/')[1] ?? '');
  }

  process.stdout.write(`\n${AGENTS} agents connected, ${BACKLOG} calls waiting in the backlog queue\n`);
  let next = 0;
  const results: { rate: number; p50: number; p99: number; offered: number; sent: number }[] = [];
  for (const { rate, warmUp } of rounds) {
    await sql`select pg_stat_statements_reset()`.execute(db);
    const cpuBefore = cpuSeconds();
    const clientLoop = monitorEventLoopDelay({ resolution: 10 });
    clientLoop.enable();
    const arrivals: { callId: Promise<string | null>; sentAt: number }[] = [];
    const started = performance.now();
    for (let i = 0; i < rate * SECONDS_PER_RATE; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const token = tokens[next++] ?? '';
      const customer = io(`${stack.url}/customer`, { forceNew: true, transports: ['websocket'], auth: { linkToken: token } });
      sockets.push(customer);
      const sentAt = performance.now();
      arrivals.push({
        sentAt,
        callId: new Promise((resolve) => {
          customer.once('connect', () => {
            const at = performance.now();
            void customer
              .timeout(10_000)
              .emitWithAck('call:start', { media: 'audio' })
              .then((ack: { ok: boolean; data?: { call: { callId: string } } }) => {
                resolve(ack.ok && ack.data ? `${ack.data.call.callId}|${at}|${performance.now() - at}|${at - sentAt}` : null);
              })
              .catch(() => resolve(null));
          });
        }),
      });
    }
    const ids = await Promise.all(arrivals.map((a) => a.callId));
    await new Promise((r) => setTimeout(r, 1500));
    const latencies: number[] = [];
    const acks: number[] = [];
    const connects: number[] = [];
    for (const entry of ids) {
      if (!entry) continue;
      const [callId, at, ackMs, connectMs] = entry.split('|');
      acks.push(Number(ackMs));
      connects.push(Number(connectMs));
      const offered = offeredAt.get(callId ?? '');
      if (offered !== undefined) latencies.push(offered - Number(at));
    }
    clientLoop.disable();
    if (warmUp) continue;
    const cpuAfter = cpuSeconds();
    const row = { rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99), offered: latencies.length, sent: arrivals.length };
    results.push(row);
    const statements = await statementStats();
    const queries = statements.reduce((n, s) => n + s.calls, 0);
    const dbMs = statements.reduce((n, s) => n + s.totalMs, 0);
    const planMs = statements.reduce((n, s) => n + s.planMs * s.calls, 0);
    process.stdout.write(
      `  ${String(rate).padStart(4)} arrivals/s: arrival → offer p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms (${row.offered}/${row.sent} offered); ` +
        `${(queries / Math.max(1, row.offered)).toFixed(1)} statements and ${(dbMs / Math.max(1, row.offered)).toFixed(2)} ms of database time per call (whole call; ${(planMs / Math.max(1, row.offered)).toFixed(2)} ms of it planning)\n`,
    );
    process.stdout.write(
      `        customer socket connect p50 ${percentile(connects, 50).toFixed(1)} ms; call:start → its answer p50 ${percentile(acks, 50).toFixed(1)} ms, p99 ${percentile(acks, 99).toFixed(1)} ms\n`,
    );
    const serverSide = await sql<{ ms: number }>`
      select extract(epoch from (r.at - q.at)) * 1000 as ms
      from call_event q join call_event r on r.call_id = q.call_id and r.type = 'call_ringing'
      where q.type = 'call_queued' and q.call_id = any(${ids.filter((e): e is string => !!e).map((e) => e.split('|')[0])}::uuid[])`.execute(
      db,
    );
    const inService = serverSide.rows.map((r) => Number(r.ms));
    process.stdout.write(
      `        inside the service (timeline: queued → ringing) p50 ${percentile(inService, 50).toFixed(1)} ms, p99 ${percentile(inService, 99).toFixed(1)} ms\n`,
    );
    const used = (name: string) => (cpuAfter.get(name) ?? 0) - (cpuBefore.get(name) ?? 0);
    const busy = (name: string) => (used(name) / ((performance.now() - started) / 1000)) * 100;
    const perCall = (name: string) => ((used(name) * 1000) / Math.max(1, row.offered)).toFixed(1);
    process.stdout.write(
      `        CPU (share of one core): routing service ${busy('routing').toFixed(0)} %, sfu ${busy('sfu').toFixed(0)} %, PostgreSQL ${busy('postgres').toFixed(0)} %, ` +
        `these clients ${busy('bench').toFixed(0)} % (event-loop delay p99 ${(clientLoop.percentile(99) / 1e6).toFixed(0)} ms)\n` +
        `        CPU per call: routing service ${perCall('routing')} ms, sfu ${perCall('sfu')} ms, PostgreSQL ${perCall('postgres')} ms, these clients ${perCall('bench')} ms\n`,
    );
    for (const s of statements.slice(0, TOP)) {
      process.stdout.write(
        `      ${String(s.calls).padStart(7)} × ${s.meanMs.toFixed(3)} ms (planned ${s.plans}×, ${s.planMs.toFixed(3)} ms a run)  ${s.query.replace(/\s+/g, ' ').slice(0, 150)}\n`,
      );
    }
  }
  const sustained = results.filter((r) => r.p99 < 50 && r.offered === r.sent).at(-1);
  process.stdout.write(
    `\nhighest tested rate with p99 < 50 ms and every call offered: ${sustained ? `${sustained.rate} arrivals/s` : 'none'}\n`,
  );
} finally {
  for (const s of sockets) s.close();
  await db.destroy();
  await stack.stop();
  await postgres.stop();
  // BENCH_KEEP=1 keeps the services' logs (and the database files) for a look afterwards.
  if (process.env.BENCH_KEEP) process.stdout.write(`kept ${dataDir}\n`);
  else await rm(dataDir, { recursive: true, force: true });
}

/** The service's statements since the last reset (the bench's own statistics queries left out), most database time first. */
async function statementStats() {
  const { rows } = await sql<{ query: string; calls: string; plans: string; total: number; mean: number; plan: number }>`
    select query, calls, plans, total_exec_time + total_plan_time as total, mean_exec_time + mean_plan_time as mean,
      total_plan_time / greatest(calls, 1) as plan
    from pg_stat_statements
    where query not like '%pg_stat_statements%'
    order by total_exec_time desc`.execute(db);
  return rows.map((r) => ({
    query: r.query,
    calls: Number(r.calls),
    plans: Number(r.plans),
    totalMs: r.total,
    meanMs: r.mean,
    planMs: r.plan,
  }));
}

/** CPU seconds used so far by the routing service, the SFU, PostgreSQL and this process, from /proc. */
function cpuSeconds(): Map<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const totals = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const name =
      Number(pid) === process.pid
        ? 'bench'
        : cmdline.includes('routing-service/src/main.ts')
          ? 'routing'
          : cmdline.includes('sfu/src/main.ts') || cmdline.includes('mediasoup-worker')
            ? 'sfu'
            : cmdline.startsWith('postgres') || stat.includes('(postgres)')
              ? 'postgres'
              : null;
    if (!name) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticks;
    totals.set(name, (totals.get(name) ?? 0) + seconds);
  }
  return totals;
}
