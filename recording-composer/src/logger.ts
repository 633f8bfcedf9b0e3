import { pino, type Logger } from 'pino';
import type { ComposerConfig } from './config.ts';

export type { Logger };

export function createLogger(level: ComposerConfig['logLevel']): Logger {
  return pino({ name: 'recording-composer', level });
}
