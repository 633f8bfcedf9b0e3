import { Router } from 'express';
import type { Kysely } from 'kysely';
import { recordingConfigurationUpdateSchema } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { getRecordingConfiguration, updateRecordingConfiguration } from '../recording/configuration.ts';
import { parseBody, requireRole, route } from './support.ts';

/** The organisation's recording configuration (SPEC §13), for supervisors; secrets are write-only. */
export function recordingConfigurationRoutes(deps: { db: Kysely<Database> }): Router {
  const { db } = deps;
  const router = Router();
  router.get(
    '/recording-configuration',
    route(async (_req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      res.json(await getRecordingConfiguration(db, user.organisationId));
    }),
  );
  router.put(
    '/recording-configuration',
    route(async (req, res) => {
      const user = requireRole(res, 'supervisor', 'admin');
      const update = parseBody(recordingConfigurationUpdateSchema, req.body);
      res.json(await updateRecordingConfiguration(db, user.organisationId, update));
    }),
  );
  return router;
}
