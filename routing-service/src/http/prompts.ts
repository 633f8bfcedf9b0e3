/**
 * Prompts, pronunciations, waiting strategies and hold configurations in the supervisor console (`/api/console`):
 * supervisors and admins only. A file prompt is uploaded as the raw request body with
 * Content-Type application/octet-stream (a type a cross-site form cannot send).
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import type { Kysely } from 'kysely';
import {
  filePromptQuerySchema,
  holdConfigurationSchema,
  transferSettingsSchema,
  workingHoursSchema,
  pronunciationsSetSchema,
  PROMPT_FILE_MAX_BYTES,
  speechPromptSchema,
  waitingStrategySchema,
} from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { getWaitingStrategy, setWaitingStrategy } from '../console/waiting-strategies.ts';
import { getWorkingHours, setWorkingHours } from '../console/working-hours.ts';
import {
  createHoldConfiguration,
  deleteHoldConfiguration,
  getTransferSettings,
  setTransferSettings,
  listHoldConfigurations,
  updateHoldConfiguration,
} from '../console/hold-configurations.ts';
import { AppError } from '../errors.ts';
import {
  deletePrompt,
  getPrompt,
  listPronunciations,
  listPrompts,
  promptAudio,
  saveFilePrompt,
  saveSpeechPrompt,
  setPronunciations,
  voiceOptions,
} from '../prompts/prompts.ts';
import { idOf, parseBody, requireRole, route } from './support.ts';

const readRaw = express.raw({ type: 'application/octet-stream', limit: PROMPT_FILE_MAX_BYTES });
/** Reads the upload; a file over the limit is refused with a message that says so. */
const rawUpload: RequestHandler = (req, res, next) => {
  readRaw(req, res, (error?: unknown) => {
    if ((error as { type?: string } | undefined)?.type === 'entity.too.large') {
      next(new AppError('bad_request', 'The file is larger than 4 MB. Upload a shorter or more compressed file.'));
    } else next(error);
  });
};

function uploadOf(req: Request): { name: string; fileName: string; file: Buffer } {
  if (!req.is('application/octet-stream')) throw new AppError('bad_request', 'Send the file as application/octet-stream.');
  const { name, fileName } = parseBody(filePromptQuerySchema, req.query);
  const file = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  return { name, fileName, file };
}

export function promptRoutes(deps: { db: Kysely<Database> }): Router {
  const { db } = deps;
  const router = Router();
  const supervisor = (res: express.Response) => requireRole(res, 'supervisor', 'admin');

  router.get(
    '/console/prompts',
    route(async (_req, res) => {
      res.json(await listPrompts(db, supervisor(res).organisationId));
    }),
  );
  router.get(
    '/console/voices',
    route(async (_req, res) => {
      supervisor(res);
      res.json(await voiceOptions());
    }),
  );
  router.post(
    '/console/prompts/speech',
    route(async (req, res) => {
      const user = supervisor(res);
      res.status(201).json(await saveSpeechPrompt(db, user.organisationId, parseBody(speechPromptSchema, req.body)));
    }),
  );
  router.put(
    '/console/prompts/:id/speech',
    route(async (req, res) => {
      const user = supervisor(res);
      const id = idOf(req, 'Prompt');
      await getPrompt(db, user.organisationId, id);
      res.json(await saveSpeechPrompt(db, user.organisationId, parseBody(speechPromptSchema, req.body), id));
    }),
  );
  router.post(
    '/console/prompts/file',
    rawUpload,
    route(async (req, res) => {
      const user = supervisor(res);
      res.status(201).json(await saveFilePrompt(db, user.organisationId, uploadOf(req)));
    }),
  );
  router.put(
    '/console/prompts/:id/file',
    rawUpload,
    route(async (req, res) => {
      const user = supervisor(res);
      const id = idOf(req, 'Prompt');
      await getPrompt(db, user.organisationId, id);
      res.json(await saveFilePrompt(db, user.organisationId, uploadOf(req), id));
    }),
  );
  router.get(
    '/console/prompts/:id/audio',
    route(async (req, res) => {
      const user = supervisor(res);
      const audio = await promptAudio(db, user.organisationId, idOf(req, 'Prompt'));
      res.type('audio/ogg').setHeader('cache-control', 'private, max-age=0').send(audio);
    }),
  );
  router.delete(
    '/console/prompts/:id',
    route(async (req, res) => {
      const user = supervisor(res);
      await deletePrompt(db, user.organisationId, idOf(req, 'Prompt'));
      res.status(204).end();
    }),
  );
  router.get(
    '/console/pronunciations',
    route(async (_req, res) => {
      res.json(await listPronunciations(db, supervisor(res).organisationId));
    }),
  );
  router.put(
    '/console/pronunciations',
    route(async (req, res) => {
      const user = supervisor(res);
      res.json(await setPronunciations(db, user.organisationId, parseBody(pronunciationsSetSchema, req.body)));
    }),
  );
  router.get(
    '/console/queues/:id/waiting-strategy',
    route(async (req, res) => {
      const user = supervisor(res);
      res.json(await getWaitingStrategy(db, user.organisationId, idOf(req, 'Queue')));
    }),
  );
  router.put(
    '/console/queues/:id/waiting-strategy',
    route(async (req, res) => {
      const user = supervisor(res);
      const id = idOf(req, 'Queue');
      res.json(await setWaitingStrategy(db, user.organisationId, id, parseBody(waitingStrategySchema, req.body)));
    }),
  );
  router.get(
    '/console/queues/:id/working-hours',
    route(async (req, res) => {
      const user = supervisor(res);
      res.json(await getWorkingHours(db, user.organisationId, idOf(req, 'Queue')));
    }),
  );
  router.put(
    '/console/queues/:id/working-hours',
    route(async (req, res) => {
      const user = supervisor(res);
      const id = idOf(req, 'Queue');
      res.json(await setWorkingHours(db, user.organisationId, id, parseBody(workingHoursSchema, req.body)));
    }),
  );
  router.get(
    '/console/transfer-settings',
    route(async (_req, res) => {
      res.json(await getTransferSettings(db, supervisor(res).organisationId));
    }),
  );
  router.put(
    '/console/transfer-settings',
    route(async (req, res) => {
      const user = supervisor(res);
      res.json(await setTransferSettings(db, user.organisationId, parseBody(transferSettingsSchema, req.body)));
    }),
  );
  router.get(
    '/console/hold-configurations',
    route(async (_req, res) => {
      res.json(await listHoldConfigurations(db, supervisor(res).organisationId));
    }),
  );
  router.post(
    '/console/hold-configurations',
    route(async (req, res) => {
      const user = supervisor(res);
      res.status(201).json(await createHoldConfiguration(db, user.organisationId, parseBody(holdConfigurationSchema, req.body)));
    }),
  );
  router.put(
    '/console/hold-configurations/:id',
    route(async (req, res) => {
      const user = supervisor(res);
      const id = idOf(req, 'Hold configuration');
      res.json(await updateHoldConfiguration(db, user.organisationId, id, parseBody(holdConfigurationSchema, req.body)));
    }),
  );
  router.delete(
    '/console/hold-configurations/:id',
    route(async (req, res) => {
      const user = supervisor(res);
      await deleteHoldConfiguration(db, user.organisationId, idOf(req, 'Hold configuration'));
      res.status(204).end();
    }),
  );
  return router;
}
