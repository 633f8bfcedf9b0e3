/**
 * The supervisor's live view (SPEC §14): per queue and per agent, right now. Pushed whole on
 * the Socket.IO namespace `/supervisor` whenever the organisation's calls or agents change.
 */
import type { AgentStatus } from './domain.ts';
import type { AckCallback } from './errors.ts';

export interface LiveQueue {
  queueId: string;
  name: string;
  /** Calls in state `queued`. */
  callsWaiting: number;
  /** How long the oldest waiting call has waited, in whole seconds at `generatedAt`; 0 when none wait. */
  longestWaitSeconds: number;
  /** The queue's members by status. */
  agentsByStatus: Record<AgentStatus, number>;
  /** Calls `ringing`, `connected` or `on_hold`. */
  callsInProgress: number;
  /** Calls that arrived today and were answered. */
  answeredToday: number;
  /** Calls that arrived today and were abandoned (the customer left while queued). */
  abandonedToday: number;
  /** The service-level threshold of this queue, in seconds (default 20). */
  serviceLevelSeconds: number;
  /**
   * Among the calls that arrived today and were answered or abandoned, the share answered
   * within `serviceLevelSeconds` of arriving (0..1); null when there were none.
   */
  serviceLevel: number | null;
}

export interface LiveAgent {
  agentId: string;
  name: string;
  status: AgentStatus;
  statusReason: string | null;
  /** ISO instant the current status began. */
  statusSince: string;
  queueIds: string[];
}

export interface LiveView {
  organisationId: string;
  /** ISO instant the view was computed; "today" is since midnight in the organisation's time zone. */
  generatedAt: string;
  queues: LiveQueue[];
  agents: LiveAgent[];
}

export interface SupervisorClientToServerEvents {
  'live:get': (payload: Record<string, never>, ack: AckCallback<LiveView>) => void;
}

export interface SupervisorServerToClientEvents {
  'live:view': (view: LiveView) => void;
}
