/** Named errors of the SFU: a stable, client-safe code and message. Anything else is `internal`. */
import type { ErrorBody, ErrorCode } from '@cc/contracts';
import { clientErrorBody } from '@cc/contracts/control-http';
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
  const clientError = clientErrorBody(error);
  if (clientError) return clientError;
  logger.error({ err: error, ...context }, 'unexpected error');
  return { code: 'internal', message: 'Internal error' };
}
