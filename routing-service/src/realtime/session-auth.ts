/** Socket.IO middleware: a namespace for logged-in people (the session cookie is the credential). */
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import { sessionIdFromCookieHeader, userForSession } from '../auth/sessions.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { RoutingSocketData } from './types.ts';

export interface SessionAuthDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** The service's public URL; pages from its origin (or the same host) may connect. */
  publicUrl: string;
}

/** The part of a socket the middleware reads and writes, whatever its event maps. */
interface HandshakeSocket {
  handshake: { headers: { origin?: string | undefined; host?: string | undefined; cookie?: string | undefined } };
  data: RoutingSocketData;
}

/** Sets `socket.data.user` from the session cookie, or refuses with `forbidden` / `unauthenticated` / `internal`. */
export function sessionAuthentication(deps: SessionAuthDeps) {
  const { db, clock, logger } = deps;
  const publicOrigin = new URL(deps.publicUrl).origin;
  return (socket: HandshakeSocket, next: (error?: Error) => void): void => {
    // Cookies ride along on cross-site WebSocket upgrades: only our own pages may open this.
    const origin = socket.handshake.headers.origin;
    if (origin && new URL(origin).host !== socket.handshake.headers.host && origin !== publicOrigin) {
      next(new Error('forbidden'));
      return;
    }
    const id = sessionIdFromCookieHeader(socket.handshake.headers.cookie);
    if (!id) {
      next(new Error('unauthenticated'));
      return;
    }
    userForSession(db, id, clock)
      .then((user) => {
        if (!user) return next(new Error('unauthenticated'));
        socket.data.user = user;
        next();
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'socket authentication failed');
        next(new Error('internal'));
      });
  };
}
