/** Words and numbers as people read them: one place for labels of the domain vocabulary. */
import type { AgentStatus, CallKind, CallLinkType, CallState, ConversationStatus, QueueStrategy } from '@cc/contracts';

export const AGENT_STATUS_LABELS: Record<AgentStatus, string> = {
  available: 'Available',
  busy: 'Busy',
  away: 'Away',
  offline: 'Offline',
  ringing: 'Ringing',
  on_call: 'On call',
  on_hold: 'On hold',
  wrap_up: 'Wrap-up',
};

export const CALL_KIND_LABELS: Record<CallKind, string> = {
  regular: 'Regular',
  transfer: 'Transfer',
  callback: 'Callback',
};

export const CALL_STATE_LABELS: Record<CallState, string> = {
  queued: 'Queued',
  ringing: 'Ringing',
  connected: 'Connected',
  on_hold: 'On hold',
  ended: 'Ended',
  abandoned: 'Abandoned',
  timed_out: 'Timed out',
  failed: 'Failed',
};

export const CONVERSATION_STATUS_LABELS: Record<ConversationStatus, string> = {
  open: 'Open',
  waiting: 'Waiting',
  solved: 'Solved',
  closed: 'Closed',
};

export const CALL_LINK_TYPE_LABELS: Record<CallLinkType, string> = {
  one_time: 'One-time',
  time_frame: 'Time frame',
  expiring: 'Expiring',
};

/** `mm:ss` (or `h:mm:ss` past an hour) of a duration in ms; negative durations read as 00:00. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

/** Whole seconds left until `endsAt` (ISO), never below zero. */
export function secondsUntil(endsAt: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(endsAt) - now) / 1000));
}

export function formatDateTime(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A `datetime-local` input value (local wall time) as an ISO instant, or undefined when empty. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export const QUEUE_STRATEGY_LABELS: Record<QueueStrategy, string> = {
  longest_idle: 'Longest idle',
  least_occupied: 'Least occupied',
  round_robin: 'Round robin',
  ring_all: 'Ring all',
  priority_then_longest_idle: 'Tiers then longest idle',
};

/** Local midnight of a `yyyy-mm-dd` date, `days` later, as an ISO instant (date filters). */
export function localDayStart(date: string, days = 0): string | undefined {
  const [y, m, d] = date.split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + days).toISOString();
}
