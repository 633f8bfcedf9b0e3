import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { loginSchema, type SessionUser } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { burnPasswordCheck, verifyPassword } from '../auth/passwords.ts';
import { createSession, deleteSession, SESSION_COOKIE, sessionIdFromCookieHeader, userForSession } from '../auth/sessions.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { currentUser, parseBody, route } from './support.ts';

export interface AuthRouteDeps {
  db: Kysely<Database>;
  clock: Clock;
  sessionTtlHours: number;
  secureCookies: boolean;
}

export function authRoutes(deps: AuthRouteDeps): Router {
  const { db, clock } = deps;
  const router = Router();

  router.post(
    '/auth/login',
    route(async (req, res) => {
      const { email, password } = parseBody(loginSchema, req.body);
      const account = await db
        .selectFrom('user_account')
        .select(['id', 'password_hash'])
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
        .executeTakeFirst();
      if (!account) {
        await burnPasswordCheck(password);
        throw new AppError('unauthenticated', 'E-mail or password is wrong');
      }
      if (!(await verifyPassword(password, account.password_hash))) throw new AppError('unauthenticated', 'E-mail or password is wrong');
      const session = await createSession(db, account.id, clock, deps.sessionTtlHours);
      res.cookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.secureCookies,
        path: '/',
        expires: session.expiresAt,
      });
      const user = await userForSession(db, session.id, clock);
      res.json(user satisfies SessionUser | null);
    }),
  );

  router.post(
    '/auth/logout',
    route(async (req, res) => {
      const id = sessionIdFromCookieHeader(req.headers.cookie);
      if (id) await deleteSession(db, id);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.status(204).end();
    }),
  );

  router.get(
    '/me',
    route(async (_req, res) => {
      res.json(currentUser(res));
    }),
  );
  return router;
}

/** Loads the session's user, if any, into res.locals.user. */
export function sessionMiddleware(db: Kysely<Database>, clock: Clock) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = sessionIdFromCookieHeader(req.headers.cookie);
    if (!id) return next();
    userForSession(db, id, clock)
      .then((user) => {
        res.locals.user = user;
        next();
      })
      .catch(next);
  };
}
