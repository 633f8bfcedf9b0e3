/** Turns a typed, validated, async handler into a Socket.IO listener that always acks once. */
import type { z } from 'zod';
import { describeIssues, type Ack } from '@cc/contracts';
import { toErrorBody, AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** The part of a Socket.IO socket a handler needs, whatever its event map. */
interface RequestSocket {
  readonly id: string;
  on(event: string, listener: (payload: unknown, ack: unknown) => void): unknown;
}

export function handle<S extends z.ZodType, T>(
  socket: RequestSocket,
  logger: Logger,
  event: string,
  schema: S,
  fn: (payload: z.infer<S>) => Promise<T>,
): void {
  socket.on(event, (payload: unknown, ack: unknown) => {
    void respond(payload, ack);
  });

  async function respond(payload: unknown, ack: unknown): Promise<void> {
    if (typeof ack !== 'function') return; // every request expects an acknowledgement
    const reply = ack as (a: Ack<T>) => void;
    const parsed = schema.safeParse(payload ?? {});
    if (!parsed.success) {
      reply({
        ok: false,
        error: {
          code: 'bad_request',
          message: describeIssues(parsed.error),
        },
      });
      return;
    }
    const started = performance.now();
    try {
      reply({ ok: true, data: await fn(parsed.data) });
      logger.debug({ event, ms: Math.round(performance.now() - started) }, 'request handled');
    } catch (error) {
      if (!(error instanceof AppError)) logger.error({ err: error, event, socketId: socket.id }, 'socket handler failed');
      else logger.debug({ event, code: error.code, ms: Math.round(performance.now() - started) }, 'request refused');
      reply({ ok: false, error: toErrorBody(error) });
    }
  }
}

/**
 * Answers any request that is not one of `known` with `bad_request` (a customer sending an
 * agent's event, a typo, an old client), so no client waits on an acknowledgement that
 * never comes. Events without an acknowledgement are ignored.
 */
export function refuseUnknownRequests(
  socket: { onAny(listener: (event: string, ...args: unknown[]) => void): unknown },
  known: readonly string[],
): void {
  const allowed = new Set(known);
  socket.onAny((event, ...args) => {
    if (allowed.has(event)) return;
    const ack = args.at(-1);
    if (typeof ack === 'function') {
      (ack as (a: Ack<never>) => void)({ ok: false, error: { code: 'bad_request', message: `Unknown request: ${event.slice(0, 40)}` } });
    }
  });
}
