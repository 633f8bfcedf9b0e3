/** Process entry: configuration from the environment, start, graceful stop on SIGINT/SIGTERM. */
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startComposer } from './server.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  createLogger('info').fatal(error.message);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
const composer = await startComposer(config, { logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'recording composer failed to start');
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    composer.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
