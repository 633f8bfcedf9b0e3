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
