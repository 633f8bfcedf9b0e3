/**
 * Typed client of the SFU's control API, for the routing service.
 *   const sfu = new SfuControlClient('http://127.0.0.1:4002', secret);
 *   const { signalUrl } = await sfu.createRoom(callId);
 */
import http from 'node:http';
import https from 'node:https';
import type {
  ErrorBody,
  PlaybackProgramInput,
  PlaybackStarted,
  RecordingTapStart,
  RecordingTapSummary,
  RoomCreated,
  RoomStats,
  RoomSummary,
  SfuHealth,
} from '@cc/contracts';

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
  /** Connections kept open between requests (the SFU is on the same host or network). */
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;

  constructor(baseUrl: string, secret: string, options: { timeoutMs?: number } = {}) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#transport = this.#baseUrl.startsWith('https:') ? https : http;
    this.#agent = new this.#transport.Agent({ keepAlive: true, maxSockets: 32 });
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

  /** Whether the SFU holds this prompt (by the SHA-256 of its Ogg Opus file). */
  async hasPrompt(hash: string): Promise<boolean> {
    return (await this.#request('HEAD', `/prompts/${hash}`, undefined, { allowNotFound: true, expectBody: false })) !== null;
  }

  /** Gives the SFU a prompt; the SFU checks the file against the hash. */
  async uploadPrompt(hash: string, file: Uint8Array): Promise<void> {
    await this.#request('PUT', `/prompts/${hash}`, file);
  }

  /** Plays a program to one participant of the room (see PlaybackProgram); `prompt_missing` when a prompt is not uploaded. */
  async play(roomId: string, peerId: string, program: PlaybackProgramInput): Promise<PlaybackStarted> {
    return (await this.#request<PlaybackStarted>('PUT', this.#peerPath(roomId, peerId, 'playback'), program)) as PlaybackStarted;
  }

  /** Silences what is played to the participant; an unknown room is not an error. */
  async stopPlayback(roomId: string, peerId: string, version?: number): Promise<void> {
    await this.#request('DELETE', this.#peerPath(roomId, peerId, 'playback'), version === undefined ? undefined : { version });
  }

  /** Puts a participant on hold (neither hears nor is heard) or back; `version` as for playback. */
  async setIsolated(roomId: string, peerId: string, isolated: boolean, version?: number): Promise<void> {
    await this.#request('PUT', this.#peerPath(roomId, peerId, 'isolation'), { isolated, ...(version === undefined ? {} : { version }) });
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

  #peerPath(roomId: string, peerId: string, what: string): string {
    return `/rooms/${encodeURIComponent(roomId)}/peers/${encodeURIComponent(peerId)}/${what}`;
  }

  /**
   * One request over a kept-alive connection. node:http rather than fetch: a call makes several
   * control requests, and fetch's streams cost several times the CPU of the request itself.
   */
  async #request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { allowNotFound?: boolean; expectBody?: boolean } = {},
  ): Promise<T | null> {
    const binary = body instanceof Uint8Array;
    const payload = body === undefined ? undefined : binary ? body : Buffer.from(JSON.stringify(body));
    let res: { status: number; body: Buffer };
    try {
      res = await new Promise((resolve, reject) => {
        const req = this.#transport.request(
          `${this.#baseUrl}${path}`,
          {
            method,
            agent: this.#agent,
            headers: {
              authorization: `Bearer ${this.#secret}`,
              ...(payload === undefined
                ? {}
                : { 'content-type': binary ? 'audio/ogg' : 'application/json', 'content-length': payload.length }),
            },
            signal: AbortSignal.timeout(this.#timeoutMs),
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
            response.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    } catch (error) {
      throw new SfuControlError(0, 'media_unavailable', `SFU control API unreachable: ${method} ${path}`, { cause: error });
    }
    if (res.status === 404 && options.allowNotFound) return null;
    const json = () => JSON.parse(res.body.toString('utf8')) as unknown;
    if (res.status < 200 || res.status > 299) {
      let error: { error?: ErrorBody } | null = null;
      try {
        error = json() as { error?: ErrorBody };
      } catch {
        // not JSON: the status says it
      }
      throw new SfuControlError(
        res.status,
        error?.error?.code ?? 'internal',
        error?.error?.message ?? `SFU control API answered ${res.status}`,
      );
    }
    if (res.status === 204) return null;
    if (options.expectBody === false) return {} as T;
    return json() as T;
  }
}
