/** The supervisor console's queue and agent configuration (`/api/console`): supervisors and admins only. */
import { Router, type Request } from 'express';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { agentUpdateSchema, queueCreateSchema, queueMembersSetSchema, queueUpdateSchema } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { AcdEngine } from '../acd/engine.ts';
import { listAgents, updateAgent } from '../console/agents.ts';
import { createQueue, deleteQueue, listQueues, setQueueMembers, updateQueue } from '../console/queues.ts';
import { notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { parseBody, requireRole, route } from './support.ts';

const idParam = z.object({ id: z.uuid() });

/** A malformed id names nothing, so it is "not found" like another organisation's id. */
function idOf(req: Request, what: string): string {
  const parsed = idParam.safeParse(req.params);
  if (!parsed.success) throw notFound(what);
  return parsed.data.id;
}

export function consoleRoutes(deps: { db: Kysely<Database>; engine: AcdEngine; logger: Logger }): Router {
  const { db, engine, logger } = deps;
  const router = Router();

  /** After a change that may make waiting calls ringable; the change itself has committed, so a failure here is only logged. */
  const assign = async (queueIds: Iterable<string>) => {
    for (const queueId of queueIds) {
      await engine
        .assignQueue(queueId)
        .catch((error: unknown) => logger.error({ err: error, queueId }, 'assignment after a console change failed'));
    }
  };

  router.get(
    '/console/queues',
    route(async (_req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      res.json(await listQueues(db, user.organisationId));
    }),
  );

  router.post(
    '/console/queues',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const request = parseBody(queueCreateSchema, req.body);
      const queue = await createQueue(db, user.organisationId, request);
      if (queue.aaaEnabled) await assign([queue.id]);
      res.status(201).json(queue);
    }),
  );

  router.patch(
    '/console/queues/:id',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const id = idOf(req, 'Queue');
      const update = parseBody(queueUpdateSchema, req.body);
      const change = await updateQueue(db, user.organisationId, id, update);
      if (change.mayAssign) await assign([id]);
      res.json(change.queue);
    }),
  );

  router.delete(
    '/console/queues/:id',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      await deleteQueue(db, user.organisationId, idOf(req, 'Queue'));
      res.status(204).end();
    }),
  );

  router.put(
    '/console/queues/:id/members',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const id = idOf(req, 'Queue');
      const members = parseBody(queueMembersSetSchema, req.body);
      const queue = await setQueueMembers(db, user.organisationId, id, members);
      await assign([id]);
      res.json(queue);
    }),
  );

  router.get(
    '/console/agents',
    route(async (_req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      res.json(await listAgents(db, user.organisationId));
    }),
  );

  router.patch(
    '/console/agents/:id',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const id = idOf(req, 'Agent');
      const update = parseBody(agentUpdateSchema, req.body);
      const change = await updateAgent(db, user.organisationId, id, update);
      await assign(change.queuesToAssign);
      res.json(change.agent);
    }),
  );
  return router;
}
