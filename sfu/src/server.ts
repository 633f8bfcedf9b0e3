/** Starts the whole SFU: workers, signaling (Socket.IO) and the control API. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SfuConfig } from './config.ts';
import { controlApi } from './control-api.ts';
import { createLogger, type Logger } from './logger.ts';
import { isParameterError, loadMediasoup } from './mediasoup-adapter.ts';
import { Pacer } from './playback/Pacer.ts';
import { PromptLibrary } from './playback/PromptLibrary.ts';
import { RoomRegistry } from './RoomRegistry.ts';
import { attachSignaling } from './signaling.ts';
import { WorkerPool } from './WorkerPool.ts';

export interface RunningSfu {
  /** URL browsers use for signaling (SFU_PUBLIC_URL, or the bound signaling address). */
  signalUrl: string;
  /** Base URL of the control API. */
  controlUrl: string;
  /** Closes every room, both servers and the workers. Safe twice. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startSfu(config: SfuConfig, options: { logger?: Logger } = {}): Promise<RunningSfu> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const mediasoup = await loadMediasoup(config.workerBin);
  const pool = await WorkerPool.start(
    mediasoup,
    config.workers,
    { logLevel: 'warn', rtcMinPort: config.rtc.minPort, rtcMaxPort: config.rtc.maxPort },
    logger,
  );
  const prompts = new PromptLibrary();
  const rooms = new RoomRegistry({
    playback: { library: prompts, pacer: new Pacer(logger) },
    pool,
    listen: { listenIp: config.rtc.listenIp, announcedIp: config.rtc.announcedIp },
    idleMs: config.roomIdleSeconds * 1000,
    logger,
    isParameterError: (error) => isParameterError(mediasoup, error),
  });

  let signalUrl = config.signal.publicUrl ?? '';
  const signalServer = createServer();
  const io = attachSignaling(signalServer, { rooms, mediaSecret: config.mediaSecret, logger });
  const controlServer = createServer(
    controlApi({ rooms, pool, prompts, controlSecret: config.controlSecret, signalUrl: () => signalUrl, logger }),
  );

  let closed = false;
  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    rooms.closeAll('shutdown');
    await io.close().catch(() => undefined);
    await Promise.all([closeServer(signalServer), closeServer(controlServer)]);
    pool.close();
  }

  try {
    const signalPort = await listen(signalServer, config.signal.host, config.signal.port);
    const controlPort = await listen(controlServer, config.control.host, config.control.port);
    signalUrl ||= httpUrl(config.signal.host, signalPort);
    const controlUrl = httpUrl(config.control.host, controlPort);
    logger.info({ signalUrl, controlUrl, workers: config.workers }, 'sfu started');
    return { signalUrl, controlUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}
