/** The routing service's HTTP API (`/api`, same origin, session cookie). */
import type { ErrorBody } from '@cc/contracts';

/** An error answer of the API: `{ error: { code, message } }`, with the HTTP status. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

type Fetch = typeof fetch;

export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  fetchImpl: Fetch = fetch,
): Promise<T> {
  let res: Response;
  try {
    res = await fetchImpl(`/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The service cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const error = (json as { error?: Partial<ErrorBody> } | null)?.error;
    throw new ApiError(res.status, error?.code ?? 'internal', error?.message ?? `Request failed (${res.status}).`);
  }
  return json as T;
}

/** `path?key=value&…` with the filters that are set (empty strings and undefined are left out). */
export function withQuery(path: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = Object.entries(params)
    .filter((entry): entry is [string, string] => Boolean(entry[1]))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong. Please try again.';
}

/** Uploads a file as the raw body (application/octet-stream) and returns the JSON answer. */
export async function upload<T>(method: 'POST' | 'PUT', path: string, file: Blob): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json' },
      body: file,
    });
  } catch {
    throw new ApiError(0, 'network', 'The service cannot be reached. Check your connection and try again.');
  }
  const json = (await res.json().catch(() => null)) as ({ error?: Partial<ErrorBody> } & T) | null;
  if (!res.ok) {
    throw new ApiError(res.status, json?.error?.code ?? 'internal', json?.error?.message ?? `Request failed (${res.status}).`);
  }
  return json as T;
}
