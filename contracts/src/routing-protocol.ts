/**
 * Messages between browsers and the routing service (Socket.IO namespaces `/agent` and
 * `/customer`). Each client-to-server message has a runtime schema; handlers parse before use.
 */
import { z } from 'zod';
import {
  AGENT_CHOSEN_STATUSES,
  CALL_MEDIA,
  CONVERSATION_STATUSES,
  type AgentStatus,
  type CallKind,
  type CallMedia,
  type CallState,
  type ConversationStatus,
} from './domain.ts';
import type { AckCallback } from './errors.ts';

const id = z.uuid();

/** Where and how a browser joins a call's media room on the SFU. */
export interface MediaJoin {
  /** Base URL of the SFU signaling endpoint (Socket.IO). */
  url: string;
  /** Short-lived signed join token (room, identity, role, may-publish kinds). */
  token: string;
  roomId: string;
}

export interface Caller {
  /** What the customer (or the agent who made the link) said they are: a name, number or e-mail. */
  identity: string;
  /** Contact name when the identity matches a contact. */
  name: string | null;
  /** Phone number in E.164 when known. */
  number: string | null;
  email: string | null;
}

/** A call as one agent sees it. */
export interface AgentCallView {
  callId: string;
  conversationId: string;
  state: CallState;
  kind: CallKind;
  media: CallMedia;
  queueId: string;
  queueName: string;
  caller: Caller;
  /** ISO instant the ring started, when ringing. */
  ringStartedAt: string | null;
  /** ISO instant the ring times out, when ringing. */
  ringEndsAt: string | null;
  answeredAt: string | null;
}

export interface WrapUpView {
  callId: string;
  conversationId: string;
  startedAt: string;
  endsAt: string;
  notes: string;
  conversationStatus: ConversationStatus;
  rating: number | null;
  caller: Caller;
}

export interface QueueRef {
  id: string;
  name: string;
  priority: number;
}

/** Everything the agent desktop renders; pushed whole on every change. */
export interface AgentSnapshot {
  agentId: string;
  name: string;
  status: AgentStatus;
  statusReason: string | null;
  statusSince: string;
  queues: QueueRef[];
  call: AgentCallView | null;
  wrapUp: WrapUpView | null;
}

export const statusSetSchema = z.object({ status: z.enum(AGENT_CHOSEN_STATUSES) });
export const callRefSchema = z.object({ callId: id });
export const wrapUpUpdateSchema = z.object({
  callId: id,
  notes: z.string().max(10_000).optional(),
  conversationStatus: z.enum(CONVERSATION_STATUSES).optional(),
  rating: z.number().int().min(1).max(5).nullable().optional(),
});

export type StatusSetRequest = z.infer<typeof statusSetSchema>;
export type CallRef = z.infer<typeof callRefSchema>;
export const callDigitSchema = z.object({ digit: z.string().regex(/^[0-9*#]$/, 'A key is 0 to 9, * or #.') });
export type CallDigit = z.infer<typeof callDigitSchema>;
export const callTransferSchema = z.object({
  callId: id,
  to: z.union([z.strictObject({ agentId: id }), z.strictObject({ queueId: id })], { error: 'Choose an agent or a queue to transfer to.' }),
});
export type CallTransferRequest = z.infer<typeof callTransferSchema>;
export interface TransferTargets {
  /** Members of the call's queue, available first. */
  agents: { agentId: string; name: string; status: AgentStatus }[];
  /** Other queues with automatic agent assignment on. */
  queues: { queueId: string; name: string }[];
}
export type WrapUpUpdateRequest = z.infer<typeof wrapUpUpdateSchema>;

export interface Notice {
  level: 'info' | 'warning';
  message: string;
}

export interface AgentClientToServerEvents {
  'state:get': (payload: Record<string, never>, ack: AckCallback<AgentSnapshot>) => void;
  'status:set': (payload: StatusSetRequest, ack: AckCallback<AgentSnapshot>) => void;
  'call:answer': (payload: CallRef, ack: AckCallback<{ media: MediaJoin }>) => void;
  'call:decline': (payload: CallRef, ack: AckCallback<null>) => void;
  'call:hangup': (payload: CallRef, ack: AckCallback<null>) => void;
  /** Puts the customer on hold: they hear the queue's hold configuration; neither side hears the other. */
  'call:hold': (payload: CallRef, ack: AckCallback<null>) => void;
  'call:resume': (payload: CallRef, ack: AckCallback<null>) => void;
  /** Who this call can be transferred to: the queue's agents (available first) and the queues with AAA on. */
  'transfer:targets': (payload: CallRef, ack: AckCallback<TransferTargets>) => void;
  /** Blind transfer: the agent leaves the call at once (wrap-up); the call returns if the transfer fails. */
  'call:transfer': (payload: CallTransferRequest, ack: AckCallback<null>) => void;
  /** Rejoin the media of the call in progress (after a page reload). */
  'call:media': (payload: CallRef, ack: AckCallback<{ media: MediaJoin }>) => void;
  'wrapup:update': (payload: WrapUpUpdateRequest, ack: AckCallback<WrapUpView>) => void;
  'wrapup:extend': (payload: CallRef, ack: AckCallback<WrapUpView>) => void;
  'wrapup:end': (payload: CallRef, ack: AckCallback<AgentSnapshot>) => void;
}

export interface AgentServerToClientEvents {
  'agent:state': (snapshot: AgentSnapshot) => void;
  notice: (notice: Notice) => void;
}

export const callStartSchema = z.object({ media: z.enum(CALL_MEDIA) });
export type CallStartRequest = z.infer<typeof callStartSchema>;

/** What the customer's call page shows of their call. */
export interface CustomerCallView {
  callId: string;
  state: CallState;
  media: CallMedia;
  /** First name of the agent once connected. */
  agentName: string | null;
  /** A blind transfer to another agent or queue is ringing. */
  transferring: boolean;
  /** While waiting: how many callers are ahead plus one, and the estimated wait in seconds (null otherwise). */
  position: number | null;
  estimatedWaitSeconds: number | null;
  /** Why the call ended or is ending, when the customer should be told (`voicemail`: a message is being, or was, left). */
  endReason: 'outside_hours' | 'max_wait' | 'callback_requested' | 'voicemail' | null;
  /** While the caller leaves a voicemail: when the recording stops at the latest (ISO 8601). */
  voicemailEndsAt: string | null;
  /** Keys that do something now (response codes), for the keypad. */
  keys: string[];
}

/** A waiting caller's place: how many callers are ahead plus one, and the estimated wait in seconds. */
export interface CustomerPlace {
  callId: string;
  position: number;
  estimatedWaitSeconds: number;
}

/**
 * What the call-link page sends when its `/customer` socket connects. `resume` is the
 * credential a `call:start` (or `call:rejoin`) gave it: with it, the socket takes back that
 * call (after a dropped connection, a routing-service instance that died, or a reload)
 * instead of starting afresh.
 */
export const customerHandshakeSchema = z.object({
  linkToken: z.string().min(1).max(200),
  resume: z.string().min(1).max(2000).optional(),
});
export type CustomerHandshake = z.infer<typeof customerHandshakeSchema>;

/** A call the page is in, with its media join and the credential to take it back later. */
export interface CustomerCallJoin {
  call: CustomerCallView;
  media: MediaJoin;
  /** Opaque; kept by the page (sessionStorage) and sent as `resume` in the handshake. */
  resume: string;
}

export interface CustomerClientToServerEvents {
  'call:start': (payload: CallStartRequest, ack: AckCallback<CustomerCallJoin>) => void;
  /** A fresh media join for the call this socket resumed (its media was lost with the page or the network). */
  'call:rejoin': (payload: Record<string, never>, ack: AckCallback<CustomerCallJoin>) => void;
  'call:hangup': (payload: Record<string, never>, ack: AckCallback<null>) => void;
  /** A key of the call page's keypad (a response code while waiting or during the away message). */
  'call:digit': (payload: CallDigit, ack: AckCallback<null>) => void;
}

export interface CustomerServerToClientEvents {
  'call:state': (call: CustomerCallView) => void;
  /** The caller's place in the queue changed (sent every few seconds while it does). */
  'call:place': (place: CustomerPlace) => void;
}

export const emptySchema = z.object({}).strict();
