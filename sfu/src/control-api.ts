/**
 * Control API for the routing service (plain node:http, bearer secret, loopback by default):
 *   POST   /rooms                 {roomId}   → 201 | 200 RoomCreated (idempotent)
 *   GET    /rooms/:roomId                    → RoomSummary
 *   GET    /rooms/:roomId/stats              → RoomStats
 *   DELETE /rooms/:roomId         {reason}?  → 204 (404 when unknown)
 *   PUT    /rooms/:roomId/peers/:peerId/playback   PlaybackProgram → 200 PlaybackStarted
 *   DELETE /rooms/:roomId/peers/:peerId/playback   → 204 (silence at once)
 *   PUT    /rooms/:roomId/peers/:peerId/isolation  {isolated} → 204 (hold)
 *   HEAD   /prompts/:hash                    → 200 when held, 404 otherwise
 *   PUT    /prompts/:hash                    Ogg Opus bytes → 204 (checked against the hash)
 *   GET    /health                           → SfuHealth
 *   …/rooms/:roomId/recordings[/:recordingId]  → see control-recordings.ts
 * Errors are `{ error: { code, message } }` with the contract's HTTP status.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  ERROR_STATUS,
  isolationSchema,
  playbackProgramSchema,
  playbackStopSchema,
  promptHashSchema,
  roomCloseSchema,
  roomCreateSchema,
  type RoomCreated,
  type SfuHealth,
} from '@cc/contracts';
import { SfuError, toErrorBody } from './errors.ts';
import type { Logger } from './logger.ts';
import type { PromptLibrary } from './playback/PromptLibrary.ts';
import type { RoomRegistry } from './RoomRegistry.ts';
import { recordingRoute } from './control-recordings.ts';
import type { WorkerPool } from './WorkerPool.ts';

const MAX_BODY_BYTES = 16 * 1024;
/** Largest prompt file accepted (converted prompts are small: 4 MB of upload becomes far less Opus). */
const MAX_PROMPT_BYTES = 8 * 1024 * 1024;
const DEFAULT_CLOSE_REASON = 'closed';

export interface ControlApiDeps {
  rooms: RoomRegistry;
  pool: WorkerPool;
  prompts: PromptLibrary;
  controlSecret: string;
  /** Signaling URL handed out with each room (read late: the port may be bound after this is built). */
  signalUrl: () => string;
  logger: Logger;
}

/** Constant-time bearer check (hashing first makes both sides the same length). */
function authorized(header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(secret));
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) }).end(json);
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new SfuError('bad_request', 'Body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req, MAX_BODY_BYTES)).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new SfuError('bad_request', 'Body is not valid JSON');
  }
}

export function controlApi(deps: ControlApiDeps): RequestListener {
  const { rooms, pool, prompts, logger } = deps;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, deps.controlSecret)) {
      throw new SfuError('unauthenticated', 'A valid bearer token is required');
    }
    const url = new URL(req.url ?? '/', 'http://control');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';

    if (parts.length === 1 && parts[0] === 'health' && method === 'GET') {
      const health: SfuHealth = { workers: pool.info(), rooms: rooms.size };
      send(res, 200, health);
      return;
    }
    if (parts[0] === 'prompts' && parts.length === 2) {
      const hash = promptHashSchema.parse(parts[1]);
      if (method === 'HEAD') {
        send(res, prompts.has(hash) ? 200 : 404);
        return;
      }
      if (method === 'PUT') {
        prompts.add(hash, await readBody(req, MAX_PROMPT_BYTES));
        send(res, 204);
        return;
      }
    }
    if (parts[0] !== 'rooms') throw new SfuError('not_found', 'No such endpoint');

    if (parts.length === 1 && method === 'POST') {
      const { roomId } = roomCreateSchema.parse(await readJson(req));
      const { created } = await rooms.getOrCreate(roomId);
      const body: RoomCreated = { roomId, signalUrl: deps.signalUrl() };
      send(res, created ? 201 : 200, body);
      return;
    }
    const roomId = parts[1];
    if (roomId === undefined) throw new SfuError('not_found', 'No such endpoint');
    if (parts.length === 5 && parts[2] === 'peers') {
      await peerRoute(roomId, parts[3] ?? '', parts[4] ?? '', method, req, res);
      return;
    }
    const room = rooms.get(roomId);
    if (parts[2] === 'recordings') {
      if (!room) throw new SfuError('not_found', 'No such room');
      const answer = await recordingRoute(room, method, parts.slice(3), () => readJson(req));
      send(res, answer.status, answer.body);
      return;
    }
    if (parts.length > 3) throw new SfuError('not_found', 'No such endpoint');
    if (parts.length === 2 && method === 'DELETE') {
      const { reason } = roomCloseSchema.parse((await readJson(req)) ?? {});
      if (!rooms.close(roomId, reason ?? DEFAULT_CLOSE_REASON)) throw new SfuError('not_found', 'No such room');
      send(res, 204);
      return;
    }
    if (method !== 'GET') throw new SfuError('not_found', 'No such endpoint');
    if (!room) throw new SfuError('not_found', 'No such room');
    if (parts.length === 2) {
      send(res, 200, room.summary());
      return;
    }
    if (parts[2] === 'stats') {
      send(res, 200, await room.stats());
      return;
    }
    throw new SfuError('not_found', 'No such endpoint');
  }

  /** What the routing service asks of one participant: playback and hold. */
  async function peerRoute(roomId: string, peerId: string, what: string, method: string, req: IncomingMessage, res: ServerResponse) {
    if (what === 'playback' && method === 'PUT') {
      const program = playbackProgramSchema.parse(await readJson(req));
      const { room } = await rooms.getOrCreate(roomId);
      send(res, 200, await room.play(peerId, program));
      return;
    }
    const room = rooms.get(roomId);
    if (what === 'playback' && method === 'DELETE') {
      const { version } = playbackStopSchema.parse((await readJson(req)) ?? {});
      room?.stopPlayback(peerId, version);
      send(res, 204);
      return;
    }
    if (what === 'isolation' && method === 'PUT') {
      const { isolated, version } = isolationSchema.parse(await readJson(req));
      if (!room) throw new SfuError('not_found', 'No such room');
      await room.setIsolated(peerId, isolated, version);
      send(res, 204);
      return;
    }
    throw new SfuError('not_found', 'No such endpoint');
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      const body = toErrorBody(error, logger, { method: req.method, url: req.url });
      if (!res.headersSent) send(res, ERROR_STATUS[body.code], { error: body });
      else res.destroy();
    });
  };
}
