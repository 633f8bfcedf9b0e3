/**
 * Test context: a fresh migrated database, a real SFU (mediasoup worker) and the routing
 * service on loopback, plus real Socket.IO clients for agents and customers.
 */
import { randomBytes } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import type {
  Ack,
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  AgentSnapshot,
  CallLinkCreateRequest,
  CallMedia,
  CallLinkView,
  CustomerCallJoin,
  CustomerCallView,
  CustomerPlace,
  CustomerClientToServerEvents,
  CustomerServerToClientEvents,
  LiveView,
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
} from '@cc/contracts';
import { freePort } from '@cc/migrations';
import { createTestDatabase, type TestDatabase } from '@cc/migrations/testing';
import { loadConfig as loadSfuConfig } from '@cc/sfu/config';
import { SfuControlClient } from '@cc/sfu/control-client';
import { startSfu } from '@cc/sfu/server';
import type { Clock } from '../clock.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { seedOrganisation, type SeedUser } from '../seed.ts';
import { startRoutingService, type RoutingService } from '../server.ts';

export type AgentSocket = Socket<AgentServerToClientEvents, AgentClientToServerEvents>;
export type CustomerSocket = Socket<CustomerServerToClientEvents, CustomerClientToServerEvents>;
export type SupervisorSocket = Socket<SupervisorServerToClientEvents, SupervisorClientToServerEvents>;

export const PASSWORD = 'correct horse battery staple';

export interface TestContext {
  t: TestDatabase;
  service: RoutingService;
  url: string;
  /** The real SFU's control API, to look at rooms and what they play. */
  sfu: SfuControlClient;
  close(): Promise<void>;
}

/** Secrets, a fresh database and a real SFU (one mediasoup worker) for one test file. */
export async function startTestMedia() {
  const t = await createTestDatabase();
  const mediaSecret = randomBytes(32).toString('hex');
  const controlSecret = randomBytes(32).toString('hex');
  const [signalPort, controlPort] = [await freePort(), await freePort()];
  const rtcMin = 42000 + Math.floor(Math.random() * 200) * 10;
  const sfu = await startSfu(
    loadSfuConfig({
      MEDIA_SECRET: mediaSecret,
      SFU_CONTROL_SECRET: controlSecret,
      SFU_SIGNAL_PORT: String(signalPort),
      SFU_CONTROL_PORT: String(controlPort),
      SFU_RTC_MIN_PORT: String(rtcMin),
      SFU_RTC_MAX_PORT: String(rtcMin + 9),
      SFU_WORKERS: '1',
      LOG_LEVEL: 'warn',
      MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker',
    }),
  );
  /** The routing service's environment for this database and SFU. */
  const env = {
    DATABASE_URL: t.url,
    MEDIA_SECRET: mediaSecret,
    SFU_CONTROL_URL: sfu.controlUrl,
    SFU_CONTROL_SECRET: controlSecret,
    DESKTOP_BUILD_DIR: '/nonexistent',
    TIMER_POLL_MS: '100',
    LOG_LEVEL: 'warn',
  };
  return { t, sfu, env: { ...env } };
}

/**
 * The routing service on a fresh database and SFU; `clock` replaces the system clock (see
 * testing/clock.ts), `env` adds to or overrides its configuration.
 */
export async function startTestContext(options: { clock?: Clock; env?: Record<string, string> } = {}): Promise<TestContext> {
  const { t, sfu, env } = await startTestMedia();
  const config = loadConfig({ ...env, ...options.env, PORT: '0' });
  const service = await startRoutingService({
    config,
    db: t.db,
    logger: createLogger('warn'),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    t,
    service,
    url: service.url,
    sfu: new SfuControlClient(sfu.controlUrl, env.SFU_CONTROL_SECRET),
    async close() {
      await service.close();
      await sfu.close();
      await t.drop();
    },
  };
}

export async function seed(
  ctx: Pick<TestContext, 't'>,
  options: { ringTimeoutSeconds?: number; wrapUpSeconds?: number; agents: Partial<SeedUser>[] },
) {
  const users: SeedUser[] = options.agents.map((a, i) => ({
    email: `agent${i + 1}-${randomBytes(3).toString('hex')}@example.test`,
    name: `Agent ${i + 1}`,
    role: 'agent',
    password: PASSWORD,
    status: 'available',
    ...a,
  }));
  const org = await seedOrganisation(ctx.t.db, {
    name: `Org ${randomBytes(3).toString('hex')}`,
    ...(options.ringTimeoutSeconds !== undefined ? { ringTimeoutSeconds: options.ringTimeoutSeconds } : {}),
    ...(options.wrapUpSeconds !== undefined ? { wrapUpSeconds: options.wrapUpSeconds } : {}),
    users,
  });
  return { ...org, emails: users.map((u) => u.email), ids: users.map((u) => org.users[u.email] ?? '') };
}

/** The agents a call is ringing now (its open offers), in offer order. */
export async function ringingAgents(ctx: Pick<TestContext, 't'>, callId: string): Promise<string[]> {
  const rows = await ctx.t.db
    .selectFrom('call_offer')
    .select('agent_id')
    .where('call_id', '=', callId)
    .where('outcome', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.agent_id);
}

export async function login(ctx: Pick<TestContext, 'url'>, email: string): Promise<string> {
  const res = await fetch(`${ctx.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

export async function api<T>(
  ctx: Pick<TestContext, 'url'>,
  cookie: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${ctx.url}/api${path}`, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A connected agent desktop that remembers the latest snapshot and notices. */
export class AgentClient {
  readonly socket: AgentSocket;
  snapshot: AgentSnapshot | null = null;
  readonly notices: string[] = [];
  readonly #waiters: { predicate: (s: AgentSnapshot) => boolean; resolve: (s: AgentSnapshot) => void }[] = [];

  private constructor(socket: AgentSocket) {
    this.socket = socket;
    socket.on('agent:state', (s) => {
      this.snapshot = s;
      for (const w of [...this.#waiters]) {
        if (w.predicate(s)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(s);
        }
      }
    });
    socket.on('notice', (n) => this.notices.push(n.message));
  }

  static async connect(ctx: Pick<TestContext, 'url'>, cookie: string): Promise<AgentClient> {
    // Each client gets its own connection: socket.io-client otherwise shares one per host, and
    // an agent socket riding on a customer's connection would carry no session cookie.
    const socket: AgentSocket = connect(`${ctx.url}/agent`, {
      forceNew: true,
      extraHeaders: { cookie },
      transports: ['websocket'],
      reconnection: false,
    });
    const client = new AgentClient(socket);
    const refused = new Promise<never>((_resolve, reject) =>
      socket.once('connect_error', (e) => reject(new Error(`agent socket refused: ${e.message}`))),
    );
    await Promise.race([client.waitFor(() => true), refused]);
    return client;
  }

  waitFor(predicate: (s: AgentSnapshot) => boolean, timeoutMs = 10_000): Promise<AgentSnapshot> {
    if (this.snapshot && predicate(this.snapshot)) return Promise.resolve(this.snapshot);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent state not reached; last: ${JSON.stringify(this.snapshot)}`)), timeoutMs);
      this.#waiters.push({ predicate, resolve: (s) => (clearTimeout(timer), resolve(s)) });
    });
  }

  /** Sends a request and resolves with its acknowledgement; rejects after `timeoutMs` without one. */
  request<E extends keyof AgentClientToServerEvents>(event: E, payload: Parameters<AgentClientToServerEvents[E]>[0], timeoutMs?: number) {
    return ack(this.socket, event, payload, timeoutMs) as Promise<AckData<Parameters<AgentClientToServerEvents[E]>[1]>>;
  }

  close(): void {
    this.socket.close();
  }
}

/** A live view in a browser (`/supervisor`): remembers every view pushed to it. */
export class SupervisorClient {
  readonly views: LiveView[] = [];
  readonly #waiters: { predicate: (v: LiveView) => boolean; resolve: (v: LiveView) => void }[] = [];

  private constructor(readonly socket: SupervisorSocket) {
    socket.on('live:view', (view) => {
      this.views.push(view);
      for (const w of [...this.#waiters]) {
        if (w.predicate(view)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(view);
        }
      }
    });
  }

  /** A socket to the namespace, not yet known to be accepted (for tests of refusals). */
  static open(ctx: Pick<TestContext, 'url'>, cookie: string | null): SupervisorSocket {
    return connect(`${ctx.url}/supervisor`, {
      forceNew: true,
      extraHeaders: cookie ? { cookie } : {},
      transports: ['websocket'],
      reconnection: false,
    });
  }

  /** Connects and waits for the view the namespace sends on connect. */
  static async connect(ctx: Pick<TestContext, 'url'>, cookie: string): Promise<SupervisorClient> {
    const client = new SupervisorClient(SupervisorClient.open(ctx, cookie));
    await client.waitFor(() => true);
    return client;
  }

  /** The first view pushed from now on (or already pushed) that satisfies `predicate`. */
  waitFor(predicate: (v: LiveView) => boolean, timeoutMs = 10_000): Promise<LiveView> {
    const seen = this.views.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no such live view within ${timeoutMs} ms; last: ${JSON.stringify(this.views.at(-1))}`)),
        timeoutMs,
      );
      this.#waiters.push({ predicate, resolve: (v) => (clearTimeout(timer), resolve(v)) });
    });
  }

  close(): void {
    this.socket.close();
  }
}

type AckData<F> = F extends (a: infer A) => void ? A : never;

export function ack(socket: Socket, event: string, payload: unknown, timeoutMs = 10_000): Promise<Ack<unknown>> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Ack<unknown>>;
}

export async function createLink(
  ctx: Pick<TestContext, 'url'>,
  cookie: string,
  request: CallLinkCreateRequest,
): Promise<{ view: CallLinkView; token: string }> {
  const res = await api<CallLinkView>(ctx, cookie, 'POST', '/call-links', request);
  if (res.status !== 201 || !res.body.url) throw new Error(`link not created: ${res.status} ${JSON.stringify(res.body)}`);
  return { view: res.body, token: res.body.url.split('/c/')[1] ?? '' };
}

/** A customer on the call-link page. */
export class CustomerClient {
  readonly states: CustomerCallView[] = [];
  /** Every `call:place` (position, estimated wait) pushed to this page. */
  readonly places: CustomerPlace[] = [];
  readonly #waiters = new Set<(s: CustomerCallView) => void>();
  private constructor(readonly socket: CustomerSocket) {
    socket.on('call:place', (place) => this.places.push(place));
    socket.on('call:state', (s) => {
      this.states.push(s);
      for (const waiter of [...this.#waiters]) waiter(s);
    });
  }

  /** Connects with the link token, and with `resume` to take a call back; rejects with the refusal's code. */
  static async connect(ctx: Pick<TestContext, 'url'>, linkToken: string, options: { resume?: string } = {}): Promise<CustomerClient> {
    const socket: CustomerSocket = connect(`${ctx.url}/customer`, {
      forceNew: true,
      auth: { linkToken, ...(options.resume ? { resume: options.resume } : {}) },
      transports: ['websocket'],
      reconnection: false,
    });
    // Listening from the start: a resumed socket is told its call's state as soon as it connects.
    const client = new CustomerClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    return client;
  }

  request<E extends keyof CustomerClientToServerEvents>(
    event: E,
    payload: Parameters<CustomerClientToServerEvents[E]>[0],
    timeoutMs?: number,
  ) {
    return ack(this.socket, event, payload, timeoutMs) as Promise<AckData<Parameters<CustomerClientToServerEvents[E]>[1]>>;
  }

  /** Starts a call and returns what the page keeps of it: the call, its media join and the resume credential. */
  async start(media: CallMedia = 'audio', timeoutMs?: number): Promise<CustomerCallJoin> {
    const res = await this.request('call:start', { media }, timeoutMs);
    if (!res.ok) throw new Error(`call not started: ${JSON.stringify(res.error)}`);
    return res.data;
  }

  /** Resolves with the first state `state` this customer was told, waiting for it if need be. */
  waitForState(state: CustomerCallView['state'], timeoutMs = 10_000): Promise<CustomerCallView> {
    return this.waitFor((s) => s.state === state, timeoutMs, state);
  }

  /** Resolves with the first view this customer was told that `predicate` accepts, waiting for it if need be. */
  waitFor(predicate: (s: CustomerCallView) => boolean, timeoutMs = 10_000, what = 'the expected state'): Promise<CustomerCallView> {
    const found = this.states.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = (s: CustomerCallView) => {
        if (!predicate(s)) return;
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        resolve(s);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`customer never saw ${what}; saw ${this.states.map((s) => s.state).join(',')}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  close(): void {
    this.socket.close();
  }
}
