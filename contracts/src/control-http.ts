/**
 * The conventions of the internal control APIs (the SFU's, the recording composer's), written
 * once for both sides: a bearer secret compared in constant time, JSON bodies with a size
 * limit, `{ error: { code, message } }` answers, and a client that turns them back into a
 * typed error. Node only (not exported from the package root, which browsers import).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ErrorBody } from './errors.ts';

/** Constant-time bearer check (hashing first makes both sides the same length). */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(secret));
}

export function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) }).end(json);
}

/** A request the client got wrong: answered 400 with this message. */
export class BadRequestBody extends Error {
  override name = 'BadRequestBody';
}

/** The parsed JSON body, or undefined when empty. Throws BadRequestBody when too large or not JSON. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BadRequestBody('Body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestBody('Body is not valid JSON');
  }
}

/** Maps validation failures to `bad_request`; anything else the caller does not name is `internal`. */
export function clientErrorBody(error: unknown): ErrorBody | undefined {
  if (error instanceof BadRequestBody) return { code: 'bad_request', message: error.message };
  if (error instanceof z.ZodError) {
    const first = error.issues[0];
    return { code: 'bad_request', message: first ? `${first.path.join('.') || 'payload'}: ${first.message}` : 'Invalid payload' };
  }
  return undefined;
}

/** A failed control request: the service's error code, or `unreachable` (status 0). */
export class ControlRequestError extends Error {
  override name = 'ControlRequestError';
  /** HTTP status (0 when the service could not be reached). */
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

export interface ControlRequest {
  baseUrl: string;
  secret: string;
  method: string;
  path: string;
  body?: unknown;
  timeoutMs: number;
  /** A 404 answers null instead of throwing. */
  allowNotFound?: boolean;
  /** The error thrown for a transport failure or an error answer. */
  error: (status: number, code: string, message: string, cause?: unknown) => Error;
}

/** One JSON request to a control API; null for 204 (and for 404 when allowed). */
export async function controlRequest<T>(r: ControlRequest): Promise<T | null> {
  let res: Response;
  try {
    res = await fetch(`${r.baseUrl}${r.path}`, {
      method: r.method,
      headers: { authorization: `Bearer ${r.secret}`, ...(r.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: r.body === undefined ? undefined : JSON.stringify(r.body),
      signal: AbortSignal.timeout(r.timeoutMs),
    });
  } catch (error) {
    throw r.error(0, 'unreachable', `Control API unreachable: ${r.method} ${r.path}`, error);
  }
  if (res.status === 404 && r.allowNotFound) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok) {
    const answer = (await res.json().catch(() => null)) as { error?: ErrorBody } | null;
    throw r.error(res.status, answer?.error?.code ?? 'internal', answer?.error?.message ?? `Control API answered ${res.status}`);
  }
  if (res.status === 204) return null;
  return (await res.json()) as T;
}
