import { Router } from 'express';
import type { Kysely } from 'kysely';
import { callLinkCreateSchema } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { createCallLink, publicCallLink, revokeCallLink, toCallLinkView } from '../call-links/links.ts';
import type { Clock } from '../clock.ts';
import { notFound } from '../errors.ts';
import { currentUser, parseBody, route } from './support.ts';
import { z } from 'zod';

export function callLinkRoutes(deps: { db: Kysely<Database>; clock: Clock; publicUrl: string }): Router {
  const { db, clock } = deps;
  const router = Router();
  const idParam = z.object({ id: z.uuid() });

  router.get(
    '/call-links/public/:token',
    route(async (req, res) => {
      res.json(await publicCallLink(db, String(req.params.token), clock.now()));
    }),
  );

  router.post(
    '/call-links',
    route(async (req, res) => {
      const user = currentUser(res);
      const request = parseBody(callLinkCreateSchema, req.body);
      const view = await createCallLink(db, { id: user.id, organisationId: user.organisationId }, request, deps.publicUrl, clock.now());
      res.status(201).json(view);
    }),
  );

  router.get(
    '/call-links',
    route(async (_req, res) => {
      const user = currentUser(res);
      const links = await db
        .selectFrom('call_link')
        .selectAll()
        .where('organisation_id', '=', user.organisationId)
        .where('created_by', '=', user.id)
        .orderBy('created_at', 'desc')
        .limit(50)
        .execute();
      res.json(links.map((l) => toCallLinkView(l)));
    }),
  );

  router.post(
    '/call-links/:id/revoke',
    route(async (req, res) => {
      const user = currentUser(res);
      const parsed = idParam.safeParse(req.params);
      if (!parsed.success) throw notFound('Call link');
      res.json(await revokeCallLink(db, user, parsed.data.id, clock.now()));
    }),
  );
  return router;
}
