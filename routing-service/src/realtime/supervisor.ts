/** The `/supervisor` namespace: the live view of a supervisor's organisation (SPEC §14). */
import type { Kysely } from 'kysely';
import { emptySchema, type SupervisorClientToServerEvents } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { Clock } from '../clock.ts';
import { liveView } from '../live/live-view.ts';
import type { Logger } from '../logger.ts';
import { handle, refuseUnknownRequests } from './handler.ts';
import type { SupervisorNamespace } from './types.ts';

/** Every request the live view may send. */
const SUPERVISOR_REQUESTS = Object.keys({ 'live:get': true } satisfies Record<keyof SupervisorClientToServerEvents, true>);

const ORGANISATION_ROOM_PREFIX = 'org:';
export const organisationRoom = (organisationId: string) => `${ORGANISATION_ROOM_PREFIX}${organisationId}`;
/** The organisation whose supervisors a room holds, or null for any other room (such as a socket's own). */
export const organisationOfRoom = (room: string): string | null =>
  room.startsWith(ORGANISATION_ROOM_PREFIX) ? room.slice(ORGANISATION_ROOM_PREFIX.length) : null;

export interface SupervisorNamespaceDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
}

/** Registers the namespace; runs after the session middleware has set `socket.data.user`. */
export function registerSupervisorNamespace(ns: SupervisorNamespace, deps: SupervisorNamespaceDeps): void {
  const { db, clock, logger } = deps;

  ns.use((socket, next) => {
    const role = socket.data.user?.role;
    next(role === 'supervisor' || role === 'admin' ? undefined : new Error('forbidden'));
  });

  ns.on('connection', (socket) => {
    const user = socket.data.user;
    if (!user) {
      socket.disconnect(true);
      return;
    }
    const log = logger.child({ supervisorId: user.id, organisationId: user.organisationId });
    const view = () => liveView(db, user.organisationId, clock.now());
    refuseUnknownRequests(socket, SUPERVISOR_REQUESTS);
    handle(socket, log, 'live:get', emptySchema, view);
    // In the room before the first view is read, so no change in between goes unpushed.
    void socket.join(organisationRoom(user.organisationId));
    view()
      .then((v) => socket.emit('live:view', v))
      .catch((error: unknown) => log.error({ err: error }, 'live view failed'));
  });
}
