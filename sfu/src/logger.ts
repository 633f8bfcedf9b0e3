import { pino, type Logger } from 'pino';
import type { SfuConfig } from './config.ts';

export type { Logger };

export function createLogger(level: SfuConfig['logLevel']): Logger {
  return pino({ name: 'sfu', level });
}
