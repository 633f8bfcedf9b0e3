/**
 * Messages between browsers and the SFU's own signaling endpoint (Socket.IO, root namespace,
 * `auth: { token }` with a join token), and the SFU's control API used by the routing service.
 *
 * mediasoup parameter objects (RTP capabilities, DTLS/ICE parameters, RTP parameters) are
 * passed through as opaque records: mediasoup validates them itself, and their exact shape
 * belongs to the mediasoup version, not to this contract.
 */
import { z } from 'zod';
import type { AckCallback } from './errors.ts';

const opaque = z.record(z.string(), z.unknown());
const mediaKind = z.enum(['audio', 'video']);
/** What a producer carries, so the other side can tell a camera from a screen. */
export const PRODUCER_SOURCES = ['microphone', 'camera', 'screen'] as const;
export type ProducerSource = (typeof PRODUCER_SOURCES)[number];

export const createTransportSchema = z.object({ direction: z.enum(['send', 'recv']) });
export const connectTransportSchema = z.object({ transportId: z.string().min(1).max(64), dtlsParameters: opaque });
export const joinSchema = z.object({ rtpCapabilities: opaque });
export const produceSchema = z.object({
  transportId: z.string().min(1).max(64),
  kind: mediaKind,
  rtpParameters: opaque,
  source: z.enum(PRODUCER_SOURCES),
});
export const producerRefSchema = z.object({ producerId: z.string().min(1).max(64) });
export const consumerRefSchema = z.object({ consumerId: z.string().min(1).max(64) });

export interface TransportOptions {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
}

export interface PeerInfo {
  peerId: string;
  role: JoinRole;
  displayName: string;
}

/** The peer id of audio the server plays into a call (prompts, music): never a participant's. */
export const PLAYBACK_PEER_ID = '@playback';

export interface NewConsumer {
  peerId: string;
  producerId: string;
  id: string;
  kind: 'audio' | 'video';
  rtpParameters: Record<string, unknown>;
  /** `playback`: audio the server plays to this participant only (peerId `@playback`). */
  source: ProducerSource | 'playback';
  producerPaused: boolean;
}

export interface SfuClientToServerEvents {
  getRouterRtpCapabilities: (payload: Record<string, never>, ack: AckCallback<Record<string, unknown>>) => void;
  createTransport: (payload: z.infer<typeof createTransportSchema>, ack: AckCallback<TransportOptions>) => void;
  connectTransport: (payload: z.infer<typeof connectTransportSchema>, ack: AckCallback<null>) => void;
  /** After the transports exist: announces the peer and starts consumers for every other peer's producers. */
  join: (payload: z.infer<typeof joinSchema>, ack: AckCallback<{ peers: PeerInfo[] }>) => void;
  produce: (payload: z.infer<typeof produceSchema>, ack: AckCallback<{ id: string }>) => void;
  pauseProducer: (payload: z.infer<typeof producerRefSchema>, ack: AckCallback<null>) => void;
  resumeProducer: (payload: z.infer<typeof producerRefSchema>, ack: AckCallback<null>) => void;
  closeProducer: (payload: z.infer<typeof producerRefSchema>, ack: AckCallback<null>) => void;
}

export interface SfuServerToClientEvents {
  /** The client creates the consumer, then acks; the server resumes it after the ack. */
  newConsumer: (consumer: NewConsumer, ack: AckCallback<null>) => void;
  consumerClosed: (payload: { consumerId: string }) => void;
  consumerPaused: (payload: { consumerId: string }) => void;
  consumerResumed: (payload: { consumerId: string }) => void;
  peerJoined: (peer: PeerInfo) => void;
  peerLeft: (payload: { peerId: string }) => void;
  roomClosed: (payload: { reason: string }) => void;
}

/** Control API (HTTP, bearer secret, loopback by default). */
export const roomCreateSchema = z.object({ roomId: z.string().min(1).max(64) });
export interface RoomSummary {
  roomId: string;
  peers: { peerId: string; role: JoinRole; producers: { id: string; kind: 'audio' | 'video'; paused: boolean }[] }[];
  /** Server-played audio per participant: whether something plays, and RTP packets sent so far. */
  playbacks: { peerId: string; playing: boolean; packetsSent: number }[];
  /** Participants on hold. */
  isolated: string[];
}

export const JOIN_ROLES = ['agent', 'customer'] as const;
export type JoinRole = (typeof JOIN_ROLES)[number];

/* Added with the SFU implementation: the rest of the control API's bodies. */

/** POST /rooms answer (201 created, 200 when the room already existed). */
export interface RoomCreated {
  roomId: string;
  /** Socket.IO URL browsers connect to with their join token. */
  signalUrl: string;
}
/** DELETE /rooms/:roomId optional body; `reason` is sent to the peers in `roomClosed`. */
export const roomCloseSchema = z.object({ reason: z.string().min(1).max(200).optional() });
/** GET /rooms/:roomId/stats: mediasoup getStats() results, passed through as opaque records. */
export interface RoomStats {
  roomId: string;
  peers: {
    peerId: string;
    transports: { id: string; direction: 'send' | 'recv'; stats: Record<string, unknown>[] }[];
    producers: { id: string; kind: 'audio' | 'video'; source: ProducerSource; paused: boolean; stats: Record<string, unknown>[] }[];
    consumers: { id: string; kind: 'audio' | 'video'; producerId: string; paused: boolean; stats: Record<string, unknown>[] }[];
  }[];
}
/** GET /health */
export interface SfuHealth {
  workers: { pid: number; routers: number }[];
  rooms: number;
}

/** A prompt is addressed by the SHA-256 (hex) of its Ogg Opus file. */
export const promptHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hex digest');

/**
 * PUT /rooms/:roomId/peers/:peerId/playback — what the server plays to one participant.
 * `intro` plays once, in order (a greeting); then `loop` repeats (music) until the program is
 * replaced; while looping, every `interrupt.everySeconds` of music the loop pauses, the
 * interrupt's prompts play (an announcement), and the loop resumes where it paused. A new
 * program with no intro and the same loop keeps the music going and only swaps the
 * announcement. The program starts when the participant first receives it (their consumer).
 */
/**
 * Orders requests about one participant: a request older than the newest one seen for them
 * (by `version`) is ignored, so requests that overtake each other cannot undo a newer one.
 */
const version = z.number().int().min(0).optional();

export const playbackProgramSchema = z.object({
  version,
  intro: z.array(promptHashSchema).max(16).default([]),
  loop: promptHashSchema.nullable().default(null),
  interrupt: z
    .object({ everySeconds: z.number().int().min(5).max(3600), prompts: z.array(promptHashSchema).min(1).max(16) })
    .nullable()
    .default(null),
});
export type PlaybackProgram = z.infer<typeof playbackProgramSchema>;
export type PlaybackProgramInput = z.input<typeof playbackProgramSchema>;
/** PUT …/playback answer: the intro's total length, so a caller can act when it has played; `stale` when a newer request won. */
export interface PlaybackStarted {
  introMs: number;
  stale?: boolean;
}
/** PUT /rooms/:roomId/peers/:peerId/isolation — on hold: the participant neither hears nor is heard. */
export const isolationSchema = z.object({ isolated: z.boolean(), version });
/** DELETE …/playback optional body. */
export const playbackStopSchema = z.object({ version });
