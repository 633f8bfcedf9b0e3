/**
 * The composer's control API (node:http, bearer secret, loopback by default), used by the
 * routing service:
 *   POST /recordings                {ComposerStart} → 201 | 200 ComposerSession (idempotent by id)
 *   POST /recordings/:id/stop                       → 200 ComposerResult (the same when repeated)
 *   GET  /health                                    → { recordings }
 * Errors are `{ error: { code, message } }`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { bearerMatches, clientErrorBody, readJsonBody, sendJson as send } from '@cc/contracts/control-http';
import { composerStartSchema, ERROR_STATUS, type ErrorBody, type ErrorCode } from '@cc/contracts';
import type { Logger } from './logger.ts';
import type { RecordingRegistry } from './RecordingRegistry.ts';

const MAX_BODY_BYTES = 16 * 1024;

export class ComposerError extends Error {
  override name = 'ComposerError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function toErrorBody(error: unknown, logger: Logger, context: Record<string, unknown>): ErrorBody {
  if (error instanceof ComposerError) return { code: error.code, message: error.message };
  const clientError = clientErrorBody(error);
  if (clientError) return clientError;
  logger.error({ err: error, ...context }, 'unexpected error');
  return { code: 'internal', message: 'Internal error' };
}

export function controlApi(deps: { recordings: RecordingRegistry; controlSecret: string; logger: Logger }): RequestListener {
  const { recordings, logger } = deps;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!bearerMatches(req.headers.authorization, deps.controlSecret)) {
      throw new ComposerError('unauthenticated', 'A valid bearer token is required');
    }
    const parts = new URL(req.url ?? '/', 'http://control').pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (method === 'GET' && parts.length === 1 && parts[0] === 'health') {
      send(res, 200, { recordings: recordings.size });
      return;
    }
    if (method === 'POST' && parts.length === 1 && parts[0] === 'recordings') {
      const { recording, created } = await recordings.start(composerStartSchema.parse(await readJsonBody(req, MAX_BODY_BYTES)));
      send(res, created ? 201 : 200, recording.session());
      return;
    }
    if (method === 'POST' && parts.length === 3 && parts[0] === 'recordings' && parts[2] === 'stop') {
      const result = await recordings.stop(parts[1] ?? '');
      if (!result) throw new ComposerError('not_found', 'No such recording');
      send(res, 200, result);
      return;
    }
    throw new ComposerError('not_found', 'No such endpoint');
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      const body = toErrorBody(error, logger, { method: req.method, url: req.url });
      if (!res.headersSent) send(res, ERROR_STATUS[body.code], { error: body });
      else res.destroy();
    });
  };
}
