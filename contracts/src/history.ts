/** Calls in progress and call history (SPEC §14): the query and views of `GET /api/calls` and `GET /api/calls/:id/timeline`. */
import { z } from 'zod';
import { CALL_STATES, type ActorType, type CallKind, type CallMedia, type CallState } from './domain.ts';

/** Calls one page may hold. */
export const HISTORY_PAGE_RANGE = { min: 1, max: 200, default: 50 } as const;

const LIMIT_MESSAGE = `A page holds ${HISTORY_PAGE_RANGE.min} to ${HISTORY_PAGE_RANGE.max} calls.`;
const STATE_MESSAGE = `Choose a call state: ${CALL_STATES.join(', ')}.`;
const CURSOR_MESSAGE = 'The page cursor is not valid; start again from the first page.';
const instant = (what: string) => z.iso.datetime({ offset: true, error: `${what} must be a date and time such as 2026-11-23T09:00:00Z.` });

/**
 * Where a page of history starts: calls strictly older than this queued-at instant and id.
 * Written as `<ISO instant>_<call id>` so it survives a query string as it is.
 */
export interface HistoryCursor {
  queuedAt: string;
  id: string;
}

export function encodeHistoryCursor(cursor: HistoryCursor): string {
  return `${cursor.queuedAt}_${cursor.id}`;
}

const cursorSchema = z.string({ error: CURSOR_MESSAGE }).transform((value, ctx): HistoryCursor => {
  const [queuedAt = '', id = '', ...rest] = value.split('_');
  if (rest.length > 0 || !instant('').safeParse(queuedAt).success || !z.uuid().safeParse(id).success) {
    ctx.addIssue({ code: 'custom', message: CURSOR_MESSAGE });
    return z.NEVER;
  }
  return { queuedAt, id };
});

/** Empty query-string values mean "no filter", as an HTML form sends them. */
const optional = <S extends z.ZodType>(schema: S) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** The query string of `GET /api/calls`; newest first by queued-at, then id. */
export const callHistoryQuerySchema = z
  .object({
    queueId: optional(z.uuid({ error: 'Choose a queue from the list.' })),
    agentId: optional(z.uuid({ error: 'Choose an agent from the list.' })),
    state: optional(z.enum(CALL_STATES, { error: STATE_MESSAGE })),
    /** Calls queued at or after this instant. */
    from: optional(instant('From')),
    /** Calls queued before this instant. */
    to: optional(instant('To')),
    limit: optional(
      z.coerce
        .number({ error: LIMIT_MESSAGE })
        .int(LIMIT_MESSAGE)
        .min(HISTORY_PAGE_RANGE.min, LIMIT_MESSAGE)
        .max(HISTORY_PAGE_RANGE.max, LIMIT_MESSAGE),
    ).transform((limit) => limit ?? HISTORY_PAGE_RANGE.default),
    /** The `nextCursor` of the previous page. */
    before: optional(cursorSchema),
  })
  .superRefine((query, ctx) => {
    if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) {
      ctx.addIssue({ code: 'custom', message: 'From must be before To.', path: ['to'] });
    }
  });
export type CallHistoryQuery = z.output<typeof callHistoryQuerySchema>;
/** What a client may send: every value as text, as in a query string. */
export type CallHistoryParams = Partial<Record<'queueId' | 'agentId' | 'state' | 'from' | 'to' | 'limit' | 'before', string>>;

export interface CallSummary {
  callId: string;
  conversationId: string;
  queueId: string;
  queueName: string;
  /** The agent who answered, or null when nobody did. */
  agentId: string | null;
  agentName: string | null;
  customerIdentity: string;
  state: CallState;
  kind: CallKind;
  media: CallMedia;
  /** ISO instants. */
  queuedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  /** From queued to answered, or to ended when never answered; null while still waiting. */
  waitSeconds: number | null;
  /** From answered to ended; null unless both happened. */
  talkSeconds: number | null;
  endReason: string | null;
}

export interface CallHistoryPage {
  calls: CallSummary[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface CallTimelineEvent {
  type: string;
  actorType: ActorType;
  /** The agent's name for agent actors, the customer identity for customer actors, null for the system. */
  actorName: string | null;
  /** The name of the agent the event is about (`data.agentId`, e.g. who rang), when there is one. */
  agentName: string | null;
  /** ISO instant. */
  at: string;
  data: Record<string, unknown>;
}

export interface CallTimeline {
  call: CallSummary;
  /** Oldest first. */
  events: CallTimelineEvent[];
}
