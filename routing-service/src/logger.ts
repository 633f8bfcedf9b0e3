import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'routing-service'): Logger {
  return pino({ name, level });
}
