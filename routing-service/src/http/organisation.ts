import { Router } from 'express';
import type { Kysely } from 'kysely';
import { settingsUpdateSchema, type OrganisationSettings } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { currentUser, parseBody, requireRole, route } from './support.ts';

/** Queues the desktop lists and the organisation-wide settings (ring time-out, wrap-up). */
export function organisationRoutes(deps: { db: Kysely<Database> }): Router {
  const { db } = deps;
  const router = Router();

  router.get(
    '/queues',
    route(async (_req, res) => {
      const user = currentUser(res);
      const queues = await db
        .selectFrom('queue')
        .select(['id', 'name', 'is_default', 'aaa_enabled'])
        .where('organisation_id', '=', user.organisationId)
        .orderBy('is_default', 'desc')
        .orderBy('name')
        .execute();
      res.json(queues.map((q) => ({ id: q.id, name: q.name, isDefault: q.is_default, aaaEnabled: q.aaa_enabled })));
    }),
  );

  const settingsOf = async (organisationId: string): Promise<OrganisationSettings> => {
    const org = await db
      .selectFrom('organisation')
      .select(['ring_timeout_seconds', 'wrap_up_seconds'])
      .where('id', '=', organisationId)
      .executeTakeFirstOrThrow();
    return { ringTimeoutSeconds: org.ring_timeout_seconds, wrapUpSeconds: org.wrap_up_seconds };
  };

  router.get(
    '/settings',
    route(async (_req, res) => {
      res.json(await settingsOf(currentUser(res).organisationId));
    }),
  );

  router.put(
    '/settings',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const update = parseBody(settingsUpdateSchema, req.body);
      if (update.ringTimeoutSeconds !== undefined || update.wrapUpSeconds !== undefined) {
        await db
          .updateTable('organisation')
          .set({
            ...(update.ringTimeoutSeconds !== undefined ? { ring_timeout_seconds: update.ringTimeoutSeconds } : {}),
            ...(update.wrapUpSeconds !== undefined ? { wrap_up_seconds: update.wrapUpSeconds } : {}),
          })
          .where('id', '=', user.organisationId)
          .execute();
      }
      res.json(await settingsOf(user.organisationId));
    }),
  );
  return router;
}
