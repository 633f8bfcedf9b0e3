/**
 * Typed client of the recording composer's control API, for the routing service.
 *   const composer = new ComposerControlClient('http://127.0.0.1:4003', secret);
 *   const session = await composer.start(request);   // where the SFU sends each leg
 *   const result = await composer.stop(recordingId); // the files, once written
 */
import type { ComposerResult, ComposerSession, ComposerStart } from '@cc/contracts';
import { ControlRequestError, controlRequest } from '@cc/contracts/control-http';

/** Default time-out of one request; a stop composes the merged file, so it gets longer. */
export const COMPOSER_TIMEOUT_MS = 5_000;
export const COMPOSER_STOP_TIMEOUT_MS = 60_000;

/** What a failed request throws: the composer's error code, or `unreachable` (status 0). */
export { ControlRequestError as ComposerControlError };

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
    return (await controlRequest<T>({
      baseUrl: this.#baseUrl,
      secret: this.#secret,
      method,
      path,
      body,
      timeoutMs,
      error: (status, code, message, cause) => new ControlRequestError(status, code, message, { cause }),
    })) as T;
  }
}
