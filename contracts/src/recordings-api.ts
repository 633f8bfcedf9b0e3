/**
 * The recordings HTTP API (SPEC §13): lists per conversation and with filters, the file and its
 * metadata `.csv` for download, and deletion by supervisors (which leaves an audit record).
 */
import { z } from 'zod';
import type { RecordingChannelLayout, RecordingContainer, RecordingFileLeg, RecordingStatus } from './recording.ts';

/** GET /api/recordings query: every filter optional; newest first. */
export const recordingsQuerySchema = z
  .object({
    conversationId: z.uuid(),
    callId: z.uuid(),
    agentId: z.uuid(),
    queueId: z.uuid(),
    /** Calls recorded at or after this instant (ISO 8601). */
    from: z.iso.datetime({ offset: true }),
    /** Calls recorded before this instant. */
    to: z.iso.datetime({ offset: true }),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .partial({ conversationId: true, callId: true, agentId: true, queueId: true, from: true, to: true })
  .strict();
export type RecordingsQuery = z.infer<typeof recordingsQuerySchema>;

/** One recording file as lists show it. `processing`: being stored; `failed`: none (see `error`). */
export interface RecordingSummary {
  id: string;
  callId: string;
  conversationId: string;
  agentId: string | null;
  agentName: string | null;
  queueName: string | null;
  leg: RecordingFileLeg;
  channelLayout: RecordingChannelLayout;
  /** `webm`: a video recording (the player shows the picture). */
  container: RecordingContainer;
  status: RecordingStatus;
  fileName: string | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  bytes: number | null;
  error: string | null;
  createdAt: string;
  /** `voicemail`: a caller's message (the customer leg alone, no agent). */
  kind: 'call' | 'voicemail';
  /** The caller, for voicemails (the list has no call row to say it). */
  customerIdentity: string;
  /** Being processed, but the storage refused the last upload (it is retried with back-off): why, and how many tries so far. */
  uploadProblem: { message: string; attempts: number } | null;
}

/** A deleted file's audit record (who, when, which file), kept until the retention period ends. */
export interface RecordingDeletionRecord {
  recordingId: string;
  fileName: string | null;
  conversationId: string;
  callId: string;
  /** The supervisor; null when the retention job deleted it. */
  deletedBy: string | null;
  deletedByName: string | null;
  reason: 'supervisor' | 'retention';
  deletedAt: string;
}
