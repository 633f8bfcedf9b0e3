import { Router } from 'express';
import type { Kysely } from 'kysely';
import { settingsUpdateSchema } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { getSettings, updateSettings } from '../console/organisation.ts';
import type { AcdEngine } from '../acd/engine.ts';
import { currentUser, parseBody, requireRole, route } from './support.ts';

/** Queues the desktop lists and the organisation-wide settings (ring time-out, wrap-up). */
export function organisationRoutes(deps: { db: Kysely<Database>; engine: AcdEngine }): Router {
  const { db, engine } = deps;
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

  router.get(
    '/settings',
    route(async (_req, res) => {
      res.json(await getSettings(db, currentUser(res).organisationId));
    }),
  );

  router.put(
    '/settings',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const update = parseBody(settingsUpdateSchema, req.body);
      const { settings, changes } = await updateSettings(db, user.organisationId, update);
      await engine.committed(changes);
      res.json(settings);
    }),
  );
  return router;
}
