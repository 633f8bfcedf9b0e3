/**
 * Typed client of the recording composer's control API, for the routing service.
 *   const composer = new ComposerControlClient('http://127.0.0.1:4003', secret);
 *   const session = await composer.start(request);   // where the SFU sends each leg
 *   const result = await composer.stop(recordingId); // the files, once written
 */
import type { ComposerResult, ComposerSession, ComposerStart, ErrorBody } from '@cc/contracts';

/** Default time-out of one request; a stop composes the merged file, so it gets longer. */
export const COMPOSER_TIMEOUT_MS = 5_000;
export const COMPOSER_STOP_TIMEOUT_MS = 60_000;

export class ComposerControlError extends Error {
  override name = 'ComposerControlError';
  /** HTTP status (0 when the composer could not be reached). */
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

export class ComposerControlClient {
  readonly #baseUrl: string;
  readonly #secret: string;

  constructor(baseUrl: string, secret: string) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#secret = secret;
  }

  start(request: ComposerStart): Promise<ComposerSession> {
    return this.#request<ComposerSession>('POST', '/recordings', request, COMPOSER_TIMEOUT_MS);
  }

  stop(recordingId: string): Promise<ComposerResult> {
    return this.#request<ComposerResult>('POST', `/recordings/${encodeURIComponent(recordingId)}/stop`, {}, COMPOSER_STOP_TIMEOUT_MS);
  }

  async #request<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ComposerControlError(0, 'unavailable', `Recording composer unreachable: ${method} ${path}`, { cause: error });
    }
    if (!res.ok) {
      const error = (await res.json().catch(() => null)) as { error?: ErrorBody } | null;
      throw new ComposerControlError(
        res.status,
        error?.error?.code ?? 'internal',
        error?.error?.message ?? `Composer answered ${res.status}`,
      );
    }
    return (await res.json()) as T;
  }
}
