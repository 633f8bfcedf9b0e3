/**
 * Starts the recording composer: the recordings folder, the database (upload queue), the
 * registry, the uploader (which resumes this node's unfinished uploads) and the control API.
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb } from '@cc/migrations';
import type { ComposerConfig } from './config.ts';
import { controlApi } from './control-api.ts';
import { createLogger, type Logger } from './logger.ts';
import { RecordingRegistry } from './RecordingRegistry.ts';
import { openStore } from './storage/open-store.ts';
import { UploadQueue } from './uploads/UploadQueue.ts';

export interface RunningComposer {
  controlUrl: string;
  uploads: UploadQueue;
  /** Finishes running recordings, lets uploads in progress end, then closes. Safe twice. */
  close(): Promise<void>;
}

export async function startComposer(config: ComposerConfig, options: { logger?: Logger } = {}): Promise<RunningComposer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  await mkdir(config.recordingsDir, { recursive: true });
  const db = createDb(config.databaseUrl, 4);
  const uploads = new UploadQueue({
    db,
    node: config.node,
    ...config.uploads,
    now: Date.now,
    logger,
    openStore: (organisationId, storage) => openStore(db, organisationId, storage, config.recordingsDir),
  });
  const recordings = new RecordingRegistry({
    ip: config.rtpIp,
    dir: config.recordingsDir,
    jitterMs: config.jitterMs,
    now: Date.now,
    logger,
    enqueue: (request, files) => uploads.enqueue(request, files),
    fail: (request, failure) => uploads.fail(request, failure),
  });
  // Before the control API answers: a stop for a recording the last run left must find it.
  await recordings.resume();
  const server = createServer(controlApi({ recordings, controlSecret: config.controlSecret, logger }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  uploads.start();
  const port = (server.address() as AddressInfo).port;
  const controlUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ controlUrl, recordingsDir: config.recordingsDir, node: config.node }, 'recording composer started');
  let closing: Promise<void> | undefined;
  return {
    controlUrl,
    uploads,
    close: () =>
      (closing ??= (async () => {
        await recordings.stopAll();
        await uploads.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await db.destroy();
      })()),
  };
}
