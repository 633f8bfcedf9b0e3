/**
 * Typed client of the SFU's control API, for the routing service.
 *   const sfu = new SfuControlClient('http://127.0.0.1:4002', secret);
 *   const { signalUrl } = await sfu.createRoom(callId);
 */
import type { ErrorBody, RecordingTapStart, RecordingTapSummary, RoomCreated, RoomStats, RoomSummary, SfuHealth } from '@cc/contracts';

/** Default time-out of one control request, in milliseconds. */
export const CONTROL_TIMEOUT_MS = 5_000;

export class SfuControlError extends Error {
  override name = 'SfuControlError';
  /** HTTP status (0 when the SFU could not be reached). */
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

export class SfuControlClient {
  readonly #baseUrl: string;
  readonly #secret: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, secret: string, options: { timeoutMs?: number } = {}) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#secret = secret;
    this.#timeoutMs = options.timeoutMs ?? CONTROL_TIMEOUT_MS;
  }

  /** Creates the room, or returns the existing one. */
  async createRoom(roomId: string): Promise<RoomCreated> {
    return (await this.#request<RoomCreated>('POST', '/rooms', { roomId })) as RoomCreated;
  }

  /** Closes the room and disconnects its peers; an unknown room is not an error. */
  async closeRoom(roomId: string, reason?: string): Promise<void> {
    await this.#request('DELETE', `/rooms/${encodeURIComponent(roomId)}`, reason ? { reason } : undefined, { allowNotFound: true });
  }

  /** The room's peers and producers, or null when there is no such room. */
  async getRoom(roomId: string): Promise<RoomSummary | null> {
    return this.#request<RoomSummary>('GET', `/rooms/${encodeURIComponent(roomId)}`, undefined, { allowNotFound: true });
  }

  /** mediasoup statistics of every transport, producer and consumer, or null when there is no such room. */
  async getStats(roomId: string): Promise<RoomStats | null> {
    return this.#request<RoomStats>('GET', `/rooms/${encodeURIComponent(roomId)}/stats`, undefined, { allowNotFound: true });
  }

  /** Starts sending the listed legs of the room to their targets (idempotent by recordingId). */
  async startRecording(roomId: string, request: RecordingTapStart): Promise<RecordingTapSummary> {
    return (await this.#request<RecordingTapSummary>(
      'POST',
      `/rooms/${encodeURIComponent(roomId)}/recordings`,
      request,
    )) as RecordingTapSummary;
  }

  /** The tap's legs, or null when there is no such room or recording. */
  async getRecording(roomId: string, recordingId: string): Promise<RecordingTapSummary | null> {
    return this.#request<RecordingTapSummary>(
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/recordings/${encodeURIComponent(recordingId)}`,
      undefined,
      {
        allowNotFound: true,
      },
    );
  }

  /** Stops sending; an unknown room or recording is not an error (the room may have closed first). */
  async stopRecording(roomId: string, recordingId: string): Promise<void> {
    await this.#request('DELETE', `/rooms/${encodeURIComponent(roomId)}/recordings/${encodeURIComponent(recordingId)}`, undefined, {
      allowNotFound: true,
    });
  }

  async health(): Promise<SfuHealth> {
    return (await this.#request<SfuHealth>('GET', '/health')) as SfuHealth;
  }

  async #request<T>(method: string, path: string, body?: unknown, options: { allowNotFound?: boolean } = {}): Promise<T | null> {
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#secret}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new SfuControlError(0, 'media_unavailable', `SFU control API unreachable: ${method} ${path}`, { cause: error });
    }
    if (res.status === 404 && options.allowNotFound) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      const error = (await res.json().catch(() => null)) as { error?: ErrorBody } | null;
      throw new SfuControlError(
        res.status,
        error?.error?.code ?? 'internal',
        error?.error?.message ?? `SFU control API answered ${res.status}`,
      );
    }
    if (res.status === 204) return null;
    return (await res.json()) as T;
  }
}
