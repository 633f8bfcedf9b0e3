/**
 * The callback list (SPEC §10, the part built so far): requests callers filed with a response
 * code, and voicemails (SPEC §9), each with the caller's identity and, for a voicemail, its
 * recording. Agents see the requests of their queues; supervisors and admins see them all.
 */
import { z } from 'zod';
import type { RecordingSummary } from './recordings-api.ts';

export const CALLBACK_STATUSES = ['in_queue', 'assigned', 'active', 'no_reply', 'done'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];
/** `callback`: a key asked to be called back; `voicemail`: the caller left a message. */
export const CALLBACK_REQUEST_KINDS = ['callback', 'voicemail'] as const;
export type CallbackRequestKind = (typeof CALLBACK_REQUEST_KINDS)[number];

/** GET /api/callbacks query: every filter optional; newest first. */
export const callbacksQuerySchema = z
  .object({
    status: z.enum(CALLBACK_STATUSES, { error: 'Choose a status from the list.' }),
    kind: z.enum(CALLBACK_REQUEST_KINDS, { error: 'Choose callback requests or voicemails.' }),
    queueId: z.uuid({ error: 'Choose a queue from the list.' }),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .partial({ status: true, kind: true, queueId: true })
  .strict();
export type CallbacksQuery = z.infer<typeof callbacksQuerySchema>;

export interface CallbackRequestView {
  id: string;
  kind: CallbackRequestKind;
  status: CallbackStatus;
  queueId: string | null;
  queueName: string | null;
  conversationId: string;
  callId: string | null;
  /** The caller as they identified themselves (number, e-mail or name). */
  customerIdentity: string;
  /** The matching contact's name, when there is one. */
  contactName: string | null;
  createdAt: string;
  /** A voicemail still being left: the call is going on. */
  recordingInProgress: boolean;
  /** The voicemail's file (the customer's leg), once the call ended; null otherwise. */
  voicemail: RecordingSummary | null;
}
