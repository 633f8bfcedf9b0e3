/** The supervisor console's queue and agent configuration (`/api/console`): supervisors and admins only. */
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { agentUpdateSchema, queueCreateSchema, queueMembersSetSchema, queueUpdateSchema } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { Changes } from '../acd/changes.ts';
import type { AcdEngine } from '../acd/engine.ts';
import { listAgents, updateAgent } from '../console/agents.ts';
import { createQueue, deleteQueue, listQueues, setQueueMembers, updateQueue } from '../console/queues.ts';
import { idOf, parseBody, requireRole, route } from './support.ts';

export function consoleRoutes(deps: { db: Kysely<Database>; engine: AcdEngine }): Router {
  const { db, engine } = deps;
  const router = Router();
  // The change stands once committed: pushing it and assigning only log their failures.
  const afterChange = (changes: Changes) => engine.committed(changes);

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
      const { queue, changes } = await createQueue(db, user.organisationId, request);
      await afterChange(changes);
      res.status(201).json(queue);
    }),
  );

  router.patch(
    '/console/queues/:id',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const id = idOf(req, 'Queue');
      const update = parseBody(queueUpdateSchema, req.body);
      const { queue, changes } = await updateQueue(db, user.organisationId, id, update);
      await afterChange(changes);
      res.json(queue);
    }),
  );

  router.delete(
    '/console/queues/:id',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      await afterChange(await deleteQueue(db, user.organisationId, idOf(req, 'Queue')));
      res.status(204).end();
    }),
  );

  router.put(
    '/console/queues/:id/members',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const id = idOf(req, 'Queue');
      const members = parseBody(queueMembersSetSchema, req.body);
      const { queue, changes } = await setQueueMembers(db, user.organisationId, id, members);
      await afterChange(changes);
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
      const { agent, changes } = await updateAgent(db, user.organisationId, id, update);
      await afterChange(changes);
      res.json(agent);
    }),
  );
  return router;
}
