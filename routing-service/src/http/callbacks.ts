import { Router } from 'express';
import type { Kysely } from 'kysely';
import { callbacksQuerySchema } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { listCallbackRequests } from '../callbacks/callback-list.ts';
import { currentUser, parseBody, route } from './support.ts';

/** The callback list (SPEC §10): callback requests and voicemails; agents see their queues'. */
export function callbackRoutes(deps: { db: Kysely<Database> }): Router {
  const router = Router();
  router.get(
    '/callbacks',
    route(async (req, res) => {
      res.json(await listCallbackRequests(deps.db, currentUser(res), parseBody(callbacksQuerySchema, req.query)));
    }),
  );
  return router;
}
