/** Calls in progress and call history (`/api/calls`): every signed-in user; agents see their own calls. */
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { callHistoryQuerySchema } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { notFound } from '../errors.ts';
import { callTimeline, listCalls } from '../history/calls.ts';
import { currentUser, parseBody, route } from './support.ts';

const idParam = z.object({ id: z.uuid() });

export function historyRoutes(deps: { db: Kysely<Database> }): Router {
  const { db } = deps;
  const router = Router();

  router.get(
    '/calls',
    route(async (req, res) => {
      const user = currentUser(res);
      // Express parses `?a=1&a=2` into an array; the schema then refuses it with a sentence.
      const query = parseBody(callHistoryQuerySchema, req.query);
      res.json(await listCalls(db, user, query));
    }),
  );

  router.get(
    '/calls/:id/timeline',
    route(async (req, res) => {
      const user = currentUser(res);
      // A malformed id names nothing, so it is "not found" like another organisation's call.
      const parsed = idParam.safeParse(req.params);
      if (!parsed.success) throw notFound('Call');
      res.json(await callTimeline(db, user, parsed.data.id));
    }),
  );
  return router;
}
