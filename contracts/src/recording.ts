/**
 * Recording (SPEC §13) on the wire: the SFU control API's recording taps. A tap sends each
 * listed leg (one participant's audio or video) as plain RTP + RTCP to its own target
 * address, where the recording composer listens.
 */
import { z } from 'zod';

/** One leg to capture: a participant's producer of one kind, sent to `ip:port` (RTP and RTCP muxed). */
export const recordingLegTargetSchema = z.object({
  peerId: z.string().min(1).max(128),
  kind: z.enum(['audio', 'video']),
  ip: z.ipv4().or(z.ipv6()),
  port: z.number().int().min(1).max(65535),
});
export type RecordingLegTarget = z.infer<typeof recordingLegTargetSchema>;

/** POST /rooms/:roomId/recordings */
export const recordingTapStartSchema = z.object({
  recordingId: z.string().min(1).max(64),
  legs: z.array(recordingLegTargetSchema).min(1).max(16),
});
export type RecordingTapStart = z.infer<typeof recordingTapStartSchema>;

/** What a tap sends right now: per leg, the producer being captured (null until the peer produces). */
export interface RecordingTapSummary {
  recordingId: string;
  legs: (RecordingLegTarget & { producerId: string | null; ssrc: number | null; payloadType: number | null })[];
}

/** Recording composer API. Who a leg is in the merged file: the agent left, the customer right. */
export const RECORDING_LEG_ROLES = ['agent', 'customer'] as const;
export type RecordingLegRole = (typeof RECORDING_LEG_ROLES)[number];
export const RECORDING_COMPOSITIONS = ['per_leg', 'merged'] as const;
export type RecordingComposition = (typeof RECORDING_COMPOSITIONS)[number];
/** Where finished recordings go: the composer's local disk (default), an S3-compatible store, or SFTP. */
export const RECORDING_STORAGES = ['local', 's3', 'sftp'] as const;
export type RecordingStorage = (typeof RECORDING_STORAGES)[number];

/** POST /recordings on the composer: opens one UDP port per leg. */
export const composerStartSchema = z.object({
  /** The recording session's id: the upload jobs and the `recording` rows are keyed by it. */
  recordingId: z.uuid(),
  /** Whose storage the files go to. */
  organisationId: z.uuid(),
  /** The storage frozen for the call when it started. */
  storage: z.enum(RECORDING_STORAGES),
  callId: z.string().min(1).max(64),
  conversationId: z.string().min(1).max(64),
  agentName: z.string().min(1).max(200),
  /** The customer: name when known, else their number or identity. */
  endUser: z.string().min(1).max(200),
  composition: z.enum(RECORDING_COMPOSITIONS),
  /**
   * Per role its audio, and its video when the call is recorded with video (SPEC §13
   * `audio_and_video`): a role with video gets one WebM (VP8 + Opus) file, else Ogg Opus.
   */
  legs: z
    .array(z.object({ role: z.enum(RECORDING_LEG_ROLES), peerId: z.string().min(1).max(128), kind: z.enum(['audio', 'video']) }))
    .min(1)
    .max(4)
    .refine((legs) => new Set(legs.map((leg) => `${leg.role}/${leg.kind}`)).size === legs.length, 'one leg per role and kind')
    .refine(
      (legs) => legs.every((leg) => leg.kind === 'audio' || legs.some((l) => l.role === leg.role && l.kind === 'audio')),
      'a video leg needs the audio leg of its role',
    )
    .refine((legs) => legs.every((leg) => legs.every((l) => l.role !== leg.role || l.peerId === leg.peerId)), 'one peer per role'),
});
export type ComposerStart = z.infer<typeof composerStartSchema>;

/** The composer's answer: where the SFU sends each leg (the SFU tap request's `legs`). */
export interface ComposerSession {
  recordingId: string;
  legs: (RecordingLegTarget & { role: RecordingLegRole })[];
}

/**
 * Who is where in a file: `mono` (one leg), `stereo_agent_left_customer_right` (the merged
 * audio), `side_by_side_agent_left_customer_right` (the composite video: the agent's picture
 * and audio channel on the left, the customer's on the right).
 */
export const RECORDING_CHANNEL_LAYOUTS = ['mono', 'stereo_agent_left_customer_right', 'side_by_side_agent_left_customer_right'] as const;
export type RecordingChannelLayout = (typeof RECORDING_CHANNEL_LAYOUTS)[number];

/** Which file of a recording: a leg's, the merged stereo audio, or the side-by-side video composite. */
export const RECORDING_FILE_LEGS = ['agent', 'customer', 'merged', 'composite'] as const;
export type RecordingFileLeg = (typeof RECORDING_FILE_LEGS)[number];

/** A recording file's container: Ogg Opus for audio, WebM (VP8 + Opus) for video. */
export const RECORDING_CONTAINERS = ['ogg', 'webm'] as const;
export type RecordingContainer = (typeof RECORDING_CONTAINERS)[number];

/** The Content-Type a recording file is served with. */
export const RECORDING_CONTENT_TYPES: Record<RecordingContainer, string> = {
  ogg: 'audio/ogg; codecs=opus',
  webm: 'video/webm; codecs="vp8, opus"',
};

/** One file a recording produced. */
export interface RecordedFile {
  fileName: string;
  /** `agent` / `customer` for a leg file, `merged` for the stereo audio, `composite` for the side-by-side video. */
  leg: RecordingFileLeg;
  channelLayout: RecordingChannelLayout;
  container: RecordingContainer;
  /** Every codec in the file: `['opus']`, or `['vp8', 'opus']` for WebM. */
  codecs: ('opus' | 'vp8')[];
  /** Written as received: false (leg files and the merged audio); the composite video is re-encoded: true. */
  transcoded: boolean;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  bytes: number;
}

/** POST /recordings/:id/stop answer (the same on a repeated stop). */
export interface ComposerResult {
  recordingId: string;
  files: RecordedFile[];
  /** Files that could not be made (a leg without audio, a merge that is not possible). */
  failures: { leg: RecordingFileLeg; code: string; message: string }[];
}

/** Organisation recording configuration (SPEC §13), frozen for each call when it starts. */
export const RECORDING_DIRECTIONS = ['inbound', 'outbound', 'both'] as const;
export type RecordingDirections = (typeof RECORDING_DIRECTIONS)[number];
/** Per-agent override: `off` (never recorded) or the directions recorded; null on an agent: the organisation's setting. */
export const AGENT_RECORDING_OVERRIDES = ['off', ...RECORDING_DIRECTIONS] as const;
export type AgentRecordingOverride = (typeof AGENT_RECORDING_OVERRIDES)[number];

/** Whether an agent's segment is recorded: their override when they have one, else what the call froze at its start. */
export function recordsSegment(
  frozen: { record: boolean; direction: 'inbound' | 'outbound' },
  override: AgentRecordingOverride | null,
): boolean {
  if (override === null) return frozen.record;
  return override === 'both' || override === frozen.direction;
}
export const RECORDING_VIDEO_MODES = ['audio_only', 'audio_and_video'] as const;
export type RecordingVideoMode = (typeof RECORDING_VIDEO_MODES)[number];
/** A recording file: being processed after the call, ready, or failed (e.g. a leg without audio). */
export const RECORDING_STATUSES = ['processing', 'ready', 'failed'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];
