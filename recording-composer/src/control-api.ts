/**
 * The composer's control API (node:http, bearer secret, loopback by default), used by the
 * routing service:
 *   POST /recordings                {ComposerStart} → 201 | 200 ComposerSession (idempotent by id)
 *   POST /recordings/:id/stop                       → 200 ComposerResult (the same when repeated)
 *   GET  /health                                    → { recordings }
 * Errors are `{ error: { code, message } }`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { z } from 'zod';
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

function authorized(header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(secret));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) }).end(json);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ComposerError('bad_request', 'Body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ComposerError('bad_request', 'Body is not valid JSON');
  }
}

function toErrorBody(error: unknown, logger: Logger, context: Record<string, unknown>): ErrorBody {
  if (error instanceof ComposerError) return { code: error.code, message: error.message };
  if (error instanceof z.ZodError) {
    const first = error.issues[0];
    return { code: 'bad_request', message: first ? `${first.path.join('.') || 'payload'}: ${first.message}` : 'Invalid payload' };
  }
  logger.error({ err: error, ...context }, 'unexpected error');
  return { code: 'internal', message: 'Internal error' };
}

export function controlApi(deps: { recordings: RecordingRegistry; controlSecret: string; logger: Logger }): RequestListener {
  const { recordings, logger } = deps;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, deps.controlSecret)) {
      throw new ComposerError('unauthenticated', 'A valid bearer token is required');
    }
    const parts = new URL(req.url ?? '/', 'http://control').pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (method === 'GET' && parts.length === 1 && parts[0] === 'health') {
      send(res, 200, { recordings: recordings.size });
      return;
    }
    if (method === 'POST' && parts.length === 1 && parts[0] === 'recordings') {
      const { recording, created } = await recordings.start(composerStartSchema.parse(await readJson(req)));
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
