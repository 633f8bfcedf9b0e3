/** Domain vocabulary of SPEC.md, defined once and imported everywhere. */

/** Statuses an agent chooses. */
export const AGENT_CHOSEN_STATUSES = ['available', 'busy', 'away', 'offline'] as const;
export type AgentChosenStatus = (typeof AGENT_CHOSEN_STATUSES)[number];

/** Statuses the system sets while they are true. */
export const AGENT_SYSTEM_STATUSES = ['ringing', 'on_call', 'on_hold', 'wrap_up'] as const;
export type AgentSystemStatus = (typeof AGENT_SYSTEM_STATUSES)[number];

export const AGENT_STATUSES = [...AGENT_CHOSEN_STATUSES, ...AGENT_SYSTEM_STATUSES] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const USER_ROLES = ['agent', 'supervisor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const CONVERSATION_STATUSES = ['open', 'waiting', 'solved', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const CALL_STATES = ['queued', 'ringing', 'connected', 'on_hold', 'ended', 'abandoned', 'timed_out', 'failed'] as const;
export type CallState = (typeof CALL_STATES)[number];
/** States after which a call never changes again. */
export const FINAL_CALL_STATES: readonly CallState[] = ['ended', 'abandoned', 'timed_out', 'failed'];

export const CALL_KINDS = ['regular', 'transfer', 'callback'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

export const CALL_MEDIA = ['audio', 'video'] as const;
export type CallMedia = (typeof CALL_MEDIA)[number];

export const QUEUE_STRATEGIES = ['longest_idle', 'least_occupied', 'round_robin', 'ring_all', 'priority_then_longest_idle'] as const;
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number];

export const CALL_LINK_TYPES = ['one_time', 'time_frame', 'expiring'] as const;
export type CallLinkType = (typeof CALL_LINK_TYPES)[number];

export const CALL_LINK_ROUTINGS = ['to_sharing_agent', 'routing_rules'] as const;
export type CallLinkRouting = (typeof CALL_LINK_ROUTINGS)[number];

/** Why a call link cannot be used; each has its own clear page. */
export const CALL_LINK_PROBLEMS = ['link_not_found', 'link_used', 'link_expired', 'link_revoked', 'link_not_yet_valid'] as const;
export type CallLinkProblem = (typeof CALL_LINK_PROBLEMS)[number];

/** Timeline event types of a call (SPEC §4: every change is an event with time and actor). */
export const CALL_EVENT_TYPES = [
  'call_queued',
  'call_ringing',
  'call_declined',
  'ring_timed_out',
  'call_answered',
  'call_held',
  'call_resumed',
  'call_transferred',
  'transfer_failed',
  'call_ended',
  'call_abandoned',
  'max_wait_reached',
  'outside_hours',
  'response_code',
  'voicemail_started',
  'call_timed_out',
  'call_failed',
  'wrap_up_started',
  'wrap_up_extended',
  'wrap_up_ended',
  'conversation_updated',
] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

export const ACTOR_TYPES = ['agent', 'customer', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Organisation setting ranges (SPEC §3, §7). */
export const RING_TIMEOUT_RANGE = { min: 3, max: 60, default: 30 } as const;
export const WRAP_UP_RANGE = { min: 0, max: 3600, default: 30 } as const;
/** "+10 s" in the wrap-up panel. */
export const WRAP_UP_EXTENSION_SECONDS = 10;
export const CAPACITY_RANGE = { min: 1, max: 100, default: 5 } as const;

export function assertUnreachable(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
