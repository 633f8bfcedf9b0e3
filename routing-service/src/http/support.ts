import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { describeIssues, type SessionUser, type UserRole } from '@cc/contracts';
import { AppError, notFound, toErrorBody } from '../errors.ts';
import type { Logger } from '../logger.ts';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new AppError('bad_request', describeIssues(parsed.error));
  }
  return parsed.data;
}

const idParam = z.object({ id: z.uuid() });

/** The `:id` of the route; a malformed id names nothing, so it is "not found" like another organisation's id. */
export function idOf(req: Request, what: string): string {
  const parsed = idParam.safeParse(req.params);
  if (!parsed.success) throw notFound(what);
  return parsed.data.id;
}

export function currentUser(res: Response): SessionUser {
  const user = res.locals.user as SessionUser | undefined;
  if (!user) throw new AppError('unauthenticated', 'Please log in');
  return user;
}

export function requireRole(res: Response, ...roles: UserRole[]): SessionUser {
  const user = currentUser(res);
  if (!roles.includes(user.role)) throw new AppError('forbidden', 'Your role does not allow this');
  return user;
}

/** Wraps an async route so its errors reach the error middleware. */
export const route =
  (fn: (req: Request, res: Response) => Promise<void>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

export function errorMiddleware(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    // express.json() reports malformed JSON with a `type` of entity.parse.failed.
    const bodyError = (error as { type?: string }).type;
    const normalised =
      bodyError === 'entity.parse.failed'
        ? new AppError('bad_request', 'The request body is not valid JSON')
        : bodyError === 'entity.too.large'
          ? new AppError('bad_request', 'The request body is too large')
          : error;
    if (!(normalised instanceof AppError)) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    const body = toErrorBody(normalised);
    res.status(normalised instanceof AppError ? normalised.status : 500).json({ error: body });
  };
}
