/** Named errors of the SFU: a stable, client-safe code and message. Anything else is `internal`. */
import type { ErrorBody, ErrorCode } from '@cc/contracts';
import { z } from 'zod';
import type { Logger } from './logger.ts';

export class SfuError extends Error {
  override name = 'SfuError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Maps any thrown value to a body a client may see; unknown failures are logged with context. */
export function toErrorBody(error: unknown, logger: Logger, context: Record<string, unknown>): ErrorBody {
  if (error instanceof SfuError) return { code: error.code, message: error.message };
  if (error instanceof z.ZodError) {
    const first = error.issues[0];
    return { code: 'bad_request', message: first ? `${first.path.join('.') || 'payload'}: ${first.message}` : 'Invalid payload' };
  }
  logger.error({ err: error, ...context }, 'unexpected error');
  return { code: 'internal', message: 'Internal error' };
}
