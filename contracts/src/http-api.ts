/** Request and response bodies of the routing service's HTTP API (`/api`). */
import { z } from 'zod';
import {
  CALL_LINK_ROUTINGS,
  CALL_LINK_TYPES,
  RING_TIMEOUT_RANGE,
  WRAP_UP_RANGE,
  type CallLinkProblem,
  type CallLinkRouting,
  type CallLinkType,
  type UserRole,
} from './domain.ts';

export const loginSchema = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof loginSchema>;

export interface SessionUser {
  id: string;
  organisationId: string;
  organisationName: string;
  email: string;
  name: string;
  role: UserRole;
}

export const callLinkCreateSchema = z
  .object({
    type: z.enum(CALL_LINK_TYPES),
    routing: z.enum(CALL_LINK_ROUTINGS).default('to_sharing_agent'),
    /** Queue for `routing_rules`; the organisation's Default queue when omitted. */
    queueId: z.uuid().optional(),
    /** The customer's identity as the agent knows it: name, E.164 number or e-mail. */
    identity: z.string().trim().min(1).max(200),
    /** Reuse an existing conversation. */
    conversationId: z.uuid().optional(),
    validFrom: z.iso.datetime({ offset: true }).optional(),
    validUntil: z.iso.datetime({ offset: true }).optional(),
    allowVideo: z.boolean().default(true),
  })
  .superRefine((link, ctx) => {
    if (link.type === 'time_frame' && (!link.validFrom || !link.validUntil)) {
      ctx.addIssue({ code: 'custom', message: 'A time-frame link needs validFrom and validUntil', path: ['validUntil'] });
    }
    if (link.type === 'expiring' && !link.validUntil) {
      ctx.addIssue({ code: 'custom', message: 'An expiring link needs validUntil', path: ['validUntil'] });
    }
    if (link.validFrom && link.validUntil && Date.parse(link.validFrom) >= Date.parse(link.validUntil)) {
      ctx.addIssue({ code: 'custom', message: 'validUntil must be after validFrom', path: ['validUntil'] });
    }
  });
export type CallLinkCreateRequest = z.input<typeof callLinkCreateSchema>;

export interface CallLinkView {
  id: string;
  type: CallLinkType;
  routing: CallLinkRouting;
  queueId: string | null;
  identity: string;
  validFrom: string | null;
  validUntil: string | null;
  usedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
  allowVideo: boolean;
  /** Present only in the response that created the link: the token is never stored in clear. */
  url?: string;
}

/** What the public call-link page learns about a link before the customer starts a call. */
export type PublicCallLink =
  | { usable: true; organisationName: string; brandColour: string; allowVideo: boolean; identity: string }
  | { usable: false; problem: CallLinkProblem; organisationName: string | null };

const RING_TIMEOUT_MESSAGE = `Ring time-out must be a whole number of seconds from ${RING_TIMEOUT_RANGE.min} to ${RING_TIMEOUT_RANGE.max}.`;
const WRAP_UP_MESSAGE = `Wrap-up time must be a whole number of seconds from ${WRAP_UP_RANGE.min} to ${WRAP_UP_RANGE.max}.`;

export const settingsUpdateSchema = z.object({
  ringTimeoutSeconds: z
    .number({ error: RING_TIMEOUT_MESSAGE })
    .int(RING_TIMEOUT_MESSAGE)
    .min(RING_TIMEOUT_RANGE.min, RING_TIMEOUT_MESSAGE)
    .max(RING_TIMEOUT_RANGE.max, RING_TIMEOUT_MESSAGE)
    .optional(),
  wrapUpSeconds: z
    .number({ error: WRAP_UP_MESSAGE })
    .int(WRAP_UP_MESSAGE)
    .min(WRAP_UP_RANGE.min, WRAP_UP_MESSAGE)
    .max(WRAP_UP_RANGE.max, WRAP_UP_MESSAGE)
    .optional(),
});
export type SettingsUpdateRequest = z.infer<typeof settingsUpdateSchema>;

export interface OrganisationSettings {
  ringTimeoutSeconds: number;
  wrapUpSeconds: number;
}
