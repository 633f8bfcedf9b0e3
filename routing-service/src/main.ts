import { createDb } from '@cc/migrations';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startRoutingService } from './server.ts';

const config = loadConfig(process.env);
const logger = createLogger(config.LOG_LEVEL);
const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
const service = await startRoutingService({ config, db, logger });

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void service
      .close()
      .then(() => db.destroy())
      .finally(() => process.exit(0));
  });
}
