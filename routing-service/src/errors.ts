import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@cc/contracts';

/** An error whose code and message may be shown to the client. */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const invalidTransition = (message: string) => new AppError('invalid_transition', message);
export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do that') => new AppError('forbidden', message);

/** What a client sees of any error: AppErrors as they are, anything else as a generic internal error. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  return { code: 'internal', message: 'Something went wrong; it has been logged.' };
}
