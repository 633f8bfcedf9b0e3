import { Router } from 'express';
import type { Kysely } from 'kysely';
import { recordingConfigurationUpdateSchema, sftpHostKeyFetchSchema, type SftpHostKeyFetched } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { fetchSftpHostKey, StorageError } from '@cc/recording-composer/storage';
import { AppError } from '../errors.ts';
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
  // Trust on first use: the supervisor sees the key the server presents and confirms it by saving.
  router.post(
    '/recording-configuration/sftp-host-key',
    route(async (req, res) => {
      requireRole(res, 'supervisor', 'admin');
      const { host, port } = parseBody(sftpHostKeyFetchSchema, req.body);
      try {
        const fetched: SftpHostKeyFetched = await fetchSftpHostKey(host, port);
        res.json(fetched);
      } catch (error) {
        if (error instanceof StorageError) throw new AppError('bad_request', error.message, { cause: error });
        throw error;
      }
    }),
  );
  return router;
}
