/** Helpers for this workspace's tests: a real SFU (real mediasoup worker) and real Socket.IO clients. */
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { Ack, SfuClientToServerEvents, SfuServerToClientEvents } from '@cc/contracts';
import { signJoinToken, type JoinClaims } from '@cc/contracts/join-token';
import { loadConfig } from './config.ts';
import { startSfu, type RunningSfu } from './server.ts';
import { SfuControlClient } from './control-client.ts';

export type ClientSocket = Socket<SfuServerToClientEvents, SfuClientToServerEvents>;

export interface TestSfu extends RunningSfu {
  mediaSecret: string;
  controlSecret: string;
  client: SfuControlClient;
  /** A signed join token for `room` (defaults: an agent publishing audio and video). */
  token(room: string, claims?: Partial<JoinClaims>): Promise<string>;
}

export async function startTestSfu(env: Record<string, string> = {}): Promise<TestSfu> {
  const mediaSecret = randomBytes(32).toString('hex');
  const controlSecret = randomBytes(32).toString('hex');
  // A small random RTC range per test file, so a leftover worker cannot collide with us.
  const rtcMin = 45000 + Math.floor(Math.random() * 400) * 20;
  const sfu = await startSfu(
    loadConfig({
      MEDIA_SECRET: mediaSecret,
      SFU_CONTROL_SECRET: controlSecret,
      SFU_SIGNAL_PORT: '0',
      SFU_CONTROL_PORT: '0',
      SFU_RTC_MIN_PORT: String(rtcMin),
      SFU_RTC_MAX_PORT: String(rtcMin + 19),
      SFU_WORKERS: '1',
      LOG_LEVEL: 'silent',
      MEDIASOUP_WORKER_BIN: process.env['MEDIASOUP_WORKER_BIN'] ?? '',
      ...env,
    }),
  );
  return {
    ...sfu,
    mediaSecret,
    controlSecret,
    client: new SfuControlClient(sfu.controlUrl, controlSecret),
    token: (room, claims = {}) =>
      signJoinToken({ room, sub: 'agent-1', name: 'Ada Agent', role: 'agent', publish: ['audio', 'video'], ...claims }, mediaSecret),
  };
}

/** Connects like a browser does; resolves when the SFU accepted the join token. */
export async function connect(url: string, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return socket;
}

/** Sends a request and returns its acknowledgement. */
export async function request<E extends keyof SfuClientToServerEvents>(
  socket: ClientSocket,
  event: E,
  payload: unknown,
): Promise<Parameters<Parameters<SfuClientToServerEvents[E]>[1]>[0]> {
  const timed = socket.timeout(5_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Ack<unknown>> };
  return (await timed.emitWithAck(event, payload)) as Parameters<Parameters<SfuClientToServerEvents[E]>[1]>[0];
}

/** Like request, but fails the test on an error acknowledgement. */
export async function ok<E extends keyof SfuClientToServerEvents>(
  socket: ClientSocket,
  event: E,
  payload: unknown,
): Promise<Extract<Parameters<Parameters<SfuClientToServerEvents[E]>[1]>[0], { ok: true }>['data']> {
  const ack = await request(socket, event, payload);
  if (!ack.ok) throw new Error(`${event} failed: ${ack.error.code} ${ack.error.message}`);
  return ack.data;
}

/** The next `event` on the socket (with its arguments). */
export async function next<E extends keyof SfuServerToClientEvents>(
  socket: ClientSocket,
  event: E,
): Promise<Parameters<SfuServerToClientEvents[E]>> {
  return new Promise((resolve) => {
    (socket.once as (event: string, listener: (...args: unknown[]) => void) => void)(event, (...args) =>
      resolve(args as Parameters<SfuServerToClientEvents[E]>),
    );
  });
}

/** RTP parameters a browser would send for Opus / VP8 (enough for mediasoup to create a producer). */
export function audioRtpParameters(ssrc = 11111111): Record<string, unknown> {
  return {
    mid: '0',
    codecs: [
      { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] },
    ],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: 'test-audio' },
  };
}

export function videoRtpParameters(ssrc = 22222222): Record<string, unknown> {
  return {
    mid: '1',
    codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }] }],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: 'test-video' },
  };
}

/** Resolves with the reason when the socket disconnects. */
export function disconnected(socket: ClientSocket): Promise<string> {
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
}

/** An Ogg Opus file of a sine tone (Debian's ffmpeg), as the routing service's prompt conversion makes them. */
export function toneOgg(frequency: number, seconds: number): Buffer {
  return execFileSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${seconds}`],
      ...['-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-ac', '1', '-f', 'ogg', '-'],
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Whether the SFU holds this consumer paused (server side), per getStats. */
export async function consumerPaused(sfu: TestSfu, room: string, peerId: string, consumerId: string): Promise<boolean | undefined> {
  const stats = await sfu.client.getStats(room);
  return stats?.peers.find((p) => p.peerId === peerId)?.consumers.find((c) => c.id === consumerId)?.paused;
}

/** Polls a condition the SFU reaches asynchronously (no fixed sleeps). */
export async function until(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
