/** Turns a typed, validated, async handler into a Socket.IO listener that always acks once. */
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Ack } from '@cc/contracts';
import { toErrorBody, AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export function handle<S extends z.ZodType, T>(
  socket: Socket,
  logger: Logger,
  event: string,
  schema: S,
  fn: (payload: z.infer<S>) => Promise<T>,
): void {
  socket.on(event, async (payload: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return; // every request expects an acknowledgement
    const reply = ack as (a: Ack<T>) => void;
    const parsed = schema.safeParse(payload ?? {});
    if (!parsed.success) {
      reply({ ok: false, error: { code: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ') } });
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
  });
}
