/** Assembles the routing service: HTTP API, static desktop, Socket.IO namespaces, ACD engine, timers. */
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import { AcdEngine } from './acd/engine.ts';
import type { MediaRooms } from './acd/media.ts';
import { TimerLoop } from './acd/timers.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';
import { authRoutes, sessionMiddleware } from './http/auth.ts';
import { callLinkRoutes } from './http/call-links.ts';
import { resumeCredentials } from './call-links/resume.ts';
import { consoleRoutes } from './http/console.ts';
import { promptRoutes } from './http/prompts.ts';
import { historyRoutes } from './http/history.ts';
import { organisationRoutes } from './http/organisation.ts';
import { recordingConfigurationRoutes } from './http/recording-configuration.ts';
import { recordingRoutes } from './http/recordings.ts';
import { callbackRoutes } from './http/callbacks.ts';
import { errorMiddleware } from './http/support.ts';
import type { Logger } from './logger.ts';
import { sfuRooms } from './media/sfu-rooms.ts';
import { loadAudio } from './prompts/prompts.ts';
import { sweepRetention } from './recording/retention.ts';
import { PeriodicJob } from './periodic-job.ts';
import { callRecorder, recordingsDeps } from './recording/wiring.ts';
import { registerAgentNamespace } from './realtime/agent.ts';
import { attachClusterAdapter } from './realtime/cluster.ts';
import { registerCustomerNamespace } from './realtime/customer.ts';
import { CustomerPresence } from './realtime/customer-presence.ts';
import { WaitingPlaces } from './acd/queue-position.ts';
import { LivePushes } from './realtime/live-pushes.ts';
import { callRoom, createPublisher } from './realtime/publisher.ts';
import { sessionAuthentication } from './realtime/session-auth.ts';
import { registerSupervisorNamespace } from './realtime/supervisor.ts';
import type {
  AgentNamespace,
  CustomerNamespace,
  SupervisorNamespace,
  RoutingClientToServerEvents,
  RoutingServerToClientEvents,
  RoutingSocketData,
} from './realtime/types.ts';

export interface RoutingServiceDeps {
  config: Config;
  db: Kysely<Database>;
  logger: Logger;
  clock?: Clock;
  media?: MediaRooms;
}

export interface RoutingService {
  engine: AcdEngine;
  url: string;
  close(): Promise<void>;
}

export async function startRoutingService(deps: RoutingServiceDeps): Promise<RoutingService> {
  const { config, db, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const media =
    deps.media ?? sfuRooms(config.SFU_CONTROL_URL, config.SFU_CONTROL_SECRET, config.MEDIA_SECRET, (hash) => loadAudio(db, hash));

  const io = new SocketServer<RoutingClientToServerEvents, RoutingServerToClientEvents, Record<string, never>, RoutingSocketData>({
    serveClient: false,
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  const cluster = attachClusterAdapter(io, config.DATABASE_URL, logger);
  // One server hosts both namespaces; Socket.IO types a server with one event map, so each
  // namespace is narrowed to its own map here, once.
  const agentNs = io.of('/agent') as unknown as AgentNamespace;
  const customerNs = io.of('/customer') as unknown as CustomerNamespace;
  const supervisorNs = io.of('/supervisor') as unknown as SupervisorNamespace;
  const livePushes = new LivePushes({ db, ns: supervisorNs, clock, logger });
  // One publish path for the engine's and the console's changes.
  const publish = createPublisher(db, agentNs, customerNs, logger, livePushes);
  // The timer loop and the engine need each other; the engine asks for wake-ups through this.
  let timers: TimerLoop | undefined = undefined;
  const recorder = callRecorder(config, db, clock, logger);
  const engine = new AcdEngine({
    db,
    clock,
    logger,
    media,
    publish,
    wakeAt: (dueAt) => timers?.wakeAt(dueAt),
    customerReconnectGraceSeconds: config.CUSTOMER_RECONNECT_GRACE_SECONDS,
    recordings: recorder,
  });
  const timerLoop = new TimerLoop(
    async () => {
      await engine.fireDueTimers();
    },
    config.TIMER_POLL_MS,
    (error) => logger.error({ err: error }, 'timer loop failed'),
  );
  timers = timerLoop;
  const places = new WaitingPlaces({
    db,
    media,
    emitPlace: (callId, place) => customerNs.to(callRoom(callId)).emit('call:place', place),
    logger,
  });
  const presence = new CustomerPresence(
    // On the same beat: the graces of this instance's customers, and their places in the queue.
    (callIds) => Promise.all([engine.customersConnected(callIds), places.refresh(callIds)]).then(() => undefined),
    config.CUSTOMER_RECONNECT_GRACE_SECONDS,
    (error) => logger.error({ err: error }, "renewing customers' reconnect graces failed"),
  );

  const recordings = recordingsDeps(config, db, clock);
  // Under an advisory lock: one instance at a time deletes.
  const retention = new PeriodicJob(
    'recording retention',
    () => sweepRetention(recordings, logger),
    logger,
    config.RECORDING_RETENTION_SWEEP_MS,
  );
  // Every instance: a stop is claimed once and filing twice changes nothing.
  const orphans = recorder
    ? new PeriodicJob('recording orphan sweep', () => recorder.sweep(), logger, config.RECORDING_ORPHAN_SWEEP_MS)
    : undefined;

  const assignmentSweep = new PeriodicJob('assignment sweep', () => engine.sweepAssignment(), logger, config.ASSIGNMENT_SWEEP_MS);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const api = express.Router();
  api.use(express.json({ limit: '64kb' }));
  // Mutations must be JSON: a cross-site form cannot send that without a CORS preflight.
  api.use((req, _res, next) => {
    if (
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      req.headers['content-length'] !== '0' &&
      req.body !== undefined &&
      !req.is('application/json')
    ) {
      next(new AppError('bad_request', 'Send JSON (Content-Type: application/json)'));
      return;
    }
    next();
  });
  api.use(sessionMiddleware(db, clock));
  api.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  api.use(authRoutes({ db, clock, sessionTtlHours: config.SESSION_TTL_HOURS, secureCookies: config.PUBLIC_URL.startsWith('https:') }));
  api.use(callLinkRoutes({ db, clock, publicUrl: config.PUBLIC_URL }));
  api.use(organisationRoutes({ db, engine }));
  api.use(recordingConfigurationRoutes({ db }));
  api.use(recordingRoutes(recordings));
  api.use(consoleRoutes({ db, engine }));
  api.use(promptRoutes({ db }));
  api.use(historyRoutes({ db }));
  api.use(callbackRoutes({ db }));
  api.use((_req, _res, next) => next(new AppError('not_found', 'No such API endpoint')));
  api.use(errorMiddleware(logger));
  app.use('/api', api);

  const desktop = path.resolve(config.DESKTOP_BUILD_DIR);
  if (existsSync(path.join(desktop, 'index.html'))) {
    app.use(express.static(desktop, { index: false, maxAge: '1h' }));
    // The desktop is a single-page app: every other path is its index.
    app.get(/.*/, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(desktop, 'index.html'));
    });
  } else {
    logger.warn({ desktop }, 'agent desktop build not found; serving the API only');
  }

  const server = http.createServer(app);
  io.attach(server);

  const authenticate = sessionAuthentication({ db, clock, logger, publicUrl: config.PUBLIC_URL });
  agentNs.use(authenticate);
  supervisorNs.use(authenticate);
  registerAgentNamespace(agentNs, { db, engine, logger });
  registerCustomerNamespace(customerNs, { db, engine, clock, logger, resume: resumeCredentials(config.MEDIA_SECRET), presence });
  registerSupervisorNamespace(supervisorNs, { db, clock, logger });

  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  timerLoop.start();
  presence.start();
  retention.start();
  assignmentSweep.start();
  orphans?.start();
  const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  logger.info({ url }, 'routing service listening');

  return {
    engine,
    url,
    async close() {
      await timerLoop.close();
      await presence.close();
      await retention.close();
      await assignmentSweep.close();
      await orphans?.close();
      livePushes.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
      await cluster.close();
    },
  };
}
