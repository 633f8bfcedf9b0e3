/** Error codes that may reach a client, with their HTTP status. Anything else is `internal`. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  link_not_found: 404,
  link_used: 410,
  link_expired: 410,
  link_revoked: 410,
  link_not_yet_valid: 403,
  media_unavailable: 503,
  /** A resume credential that is forged, expired, or not for this link's call. */
  resume_refused: 403,
  /** The call a customer tried to resume is over. */
  call_ended: 410,
  /** The SFU does not hold a prompt a playback names: upload it (PUT /prompts/:hash) and retry. */
  prompt_missing: 409,
  /** A byte range outside the file (a recording's download). */
  range_not_satisfiable: 416,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** Every Socket.IO acknowledgement has this shape. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type AckCallback<T> = (ack: Ack<T>) => void;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}
