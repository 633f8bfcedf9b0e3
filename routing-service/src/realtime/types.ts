import type { Namespace, Socket } from 'socket.io';
import type {
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  CustomerClientToServerEvents,
  CustomerServerToClientEvents,
  SessionUser,
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
} from '@cc/contracts';
import type { CheckedCallLink } from '../call-links/links.ts';

/** What the routing service keeps on each socket, set by the namespaces' auth middleware. */
export interface RoutingSocketData {
  /** The logged-in user of an agent desktop (`/agent`) or a live view (`/supervisor`). */
  user?: SessionUser;
  /** The call-link token a customer connected with (`/customer`). */
  linkToken?: string;
  /** That link as the handshake checked it (what never changes of it); the call's start checks the rest again. */
  link?: CheckedCallLink;
  /** The call a customer's socket takes back, when it connected with a valid resume credential. */
  callId?: string;
}

export type RoutingClientToServerEvents = AgentClientToServerEvents & CustomerClientToServerEvents & SupervisorClientToServerEvents;
export type RoutingServerToClientEvents = AgentServerToClientEvents & CustomerServerToClientEvents & SupervisorServerToClientEvents;
type ServerEvents = Record<string, never>;

export type AgentNamespace = Namespace<AgentClientToServerEvents, AgentServerToClientEvents, ServerEvents, RoutingSocketData>;
export type CustomerNamespace = Namespace<CustomerClientToServerEvents, CustomerServerToClientEvents, ServerEvents, RoutingSocketData>;
export type AgentSocket = Socket<AgentClientToServerEvents, AgentServerToClientEvents, ServerEvents, RoutingSocketData>;
export type SupervisorNamespace = Namespace<
  SupervisorClientToServerEvents,
  SupervisorServerToClientEvents,
  ServerEvents,
  RoutingSocketData
>;
export type SupervisorSocket = Socket<SupervisorClientToServerEvents, SupervisorServerToClientEvents, ServerEvents, RoutingSocketData>;
