/** Socket.IO request/acknowledgement helper shared by the agent and customer clients. */
import type { Ack, AckCallback } from '@cc/contracts';
import type { Socket } from 'socket.io-client';
import { api, ApiError } from './http';

type PayloadOf<F> = F extends (payload: infer P, ack: AckCallback<infer _T>) => void ? P : never;
type DataOf<F> = F extends (payload: infer _P, ack: AckCallback<infer T>) => void ? T : never;
/** The payload of request `K` of event map `E`. */
export type RequestPayload<E, K extends keyof E> = PayloadOf<E[K]>;
/** The acknowledged data of request `K` of event map `E`. */
export type RequestData<E, K extends keyof E> = DataOf<E[K]>;
/** Events of a client-to-server map that take a payload and an acknowledgement. */
export type RequestEvent<E> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any ack type; `never` would not match (contravariance).
  [K in keyof E]: E[K] extends (payload: any, ack: (ack: any) => void) => void ? K : never;
}[keyof E] &
  string;

/** An acknowledgement that said `{ ok: false }`; `message` is the one to show people. */
export class AckError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'AckError';
    this.code = code;
  }
}

/** Default time to wait for an acknowledgement, in ms. */
export const ACK_TIMEOUT_MS = 10_000;

/**
 * Emits `event` and resolves with the acknowledgement's data; rejects with its error message,
 * or after `timeoutMs` without an answer.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Socket.IO's own EventsMap is `{ [event: string]: any }`.
export function request<E extends { [event: string]: any }, K extends RequestEvent<E>>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the listen side does not matter here.
  socket: Socket<any, E>,
  event: K,
  payload: PayloadOf<E[K]>,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<DataOf<E[K]>> {
  return new Promise((resolve, reject) => {
    // Socket.IO cannot type an emit over a generic event name; the signature is checked above.
    const emitter = socket.timeout(timeoutMs) as unknown as {
      emit(event: string, payload: unknown, cb: (err: Error | null, ack: Ack<DataOf<E[K]>>) => void): void;
    };
    emitter.emit(event, payload, (err, ack) => {
      if (err) {
        reject(new AckError('timeout', 'The service did not answer in time. Please try again.'));
      } else if (ack.ok) {
        resolve(ack.data);
      } else {
        reject(new AckError(ack.error.code, ack.error.message));
      }
    });
  });
}

/** How long a page waits before reconnecting a socket the server refused, in ms. */
export const REFUSED_RETRY_MS = 2_000;

/**
 * After the server refused a session socket: false when the login session is gone (the page
 * should go to the login), true when the refusal was something else and a retry may work.
 */
export async function sessionStillValid(): Promise<boolean> {
  try {
    await api('GET', '/me');
    return true;
  } catch (error) {
    return !(error instanceof ApiError && error.status === 401);
  }
}
