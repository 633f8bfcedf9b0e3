/** Starts the recording composer: the recordings folder, the registry and the control API. */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComposerConfig } from './config.ts';
import { controlApi } from './control-api.ts';
import { createLogger, type Logger } from './logger.ts';
import { RecordingRegistry } from './RecordingRegistry.ts';

export interface RunningComposer {
  controlUrl: string;
  /** Finishes running recordings, then closes the control API. Safe twice. */
  close(): Promise<void>;
}

export async function startComposer(config: ComposerConfig, options: { logger?: Logger } = {}): Promise<RunningComposer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  await mkdir(config.recordingsDir, { recursive: true });
  const recordings = new RecordingRegistry({
    ip: config.rtpIp,
    dir: config.recordingsDir,
    jitterMs: config.jitterMs,
    now: Date.now,
    logger,
  });
  const server = createServer(controlApi({ recordings, controlSecret: config.controlSecret, logger }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const controlUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ controlUrl, recordingsDir: config.recordingsDir }, 'recording composer started');
  let closing: Promise<void> | undefined;
  return {
    controlUrl,
    close: () =>
      (closing ??= (async () => {
        await recordings.stopAll();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
  };
}
