/**
 * Browser signaling: Socket.IO on the root namespace. The join token (handshake
 * `auth: { token }`) is checked before the connection is accepted; each event's payload is
 * parsed with the contract's schema, then handed to the Room, and the Room's answer (or a
 * known error code) goes back in the acknowledgement.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import {
  connectTransportSchema,
  createTransportSchema,
  joinSchema,
  produceSchema,
  producerRefSchema,
  type Ack,
  type ErrorCode,
  type SfuClientToServerEvents,
  type SfuServerToClientEvents,
} from '@cc/contracts';
import { verifyJoinToken, type JoinClaims } from '@cc/contracts/join-token';
import { SfuError, toErrorBody } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Peer, PeerChannel } from './Peer.ts';
import type { Room } from './Room.ts';
import type { RoomRegistry } from './RoomRegistry.ts';

interface SocketData {
  claims: JoinClaims;
}
type SfuSocket = Socket<SfuClientToServerEvents, SfuServerToClientEvents, Record<string, never>, SocketData>;
export type SignalingServer = Server<SfuClientToServerEvents, SfuServerToClientEvents, Record<string, never>, SocketData>;

/** How long a client has to create a consumer and acknowledge `newConsumer`. */
const NEW_CONSUMER_ACK_MS = 10_000;
const emptySchema = z.object({});

export interface SignalingDeps {
  rooms: RoomRegistry;
  mediaSecret: string;
  logger: Logger;
}

/** The error a refused client sees in `connect_error`: `message` for people, `data.code` for code. */
function refusal(code: ErrorCode, message: string): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(message), { data: { code } });
}

export function attachSignaling(httpServer: HttpServer, deps: SignalingDeps): SignalingServer {
  const io: SignalingServer = new Server(httpServer, {
    // Any origin: authentication is the bearer join token, never a cookie.
    cors: { origin: true, credentials: false },
    serveClient: false,
  });

  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth['token'];
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      next(refusal('unauthenticated', 'A join token is required'));
      return;
    }
    verifyJoinToken(token, deps.mediaSecret).then(
      (claims) => {
        if (!deps.rooms.get(claims.room)) {
          next(refusal('not_found', 'This media room does not exist'));
          return;
        }
        socket.data.claims = claims;
        next();
      },
      () => next(refusal('unauthenticated', 'The join token is invalid or expired')),
    );
  });

  io.on('connection', (socket: SfuSocket) => {
    const { claims } = socket.data;
    const room = deps.rooms.get(claims.room);
    if (!room) {
      socket.disconnect(true);
      return;
    }
    const peer = room.addPeer(claims, socketChannel(socket));
    socket.on('disconnect', () => room.removePeer(peer));
    registerHandlers(socket, room, peer, deps.logger.child({ roomId: room.id, peerId: peer.id }));
  });

  return io;
}

function socketChannel(socket: SfuSocket): PeerChannel {
  return {
    notify(event, ...args) {
      (socket.emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
    },
    async requestNewConsumer(consumer) {
      const ack: Ack<null> | undefined = await socket.timeout(NEW_CONSUMER_ACK_MS).emitWithAck('newConsumer', consumer);
      if (ack?.ok !== true) throw new SfuError('bad_request', 'The client refused the consumer');
    },
    disconnect() {
      socket.disconnect(true);
    },
  };
}

function registerHandlers(socket: SfuSocket, room: Room, peer: Peer, logger: Logger): void {
  /** Parses, runs, answers. Only known error codes reach the client. */
  function handle<E extends keyof SfuClientToServerEvents, S extends z.ZodType>(
    event: E,
    schema: S,
    run: (payload: z.infer<S>) => Promise<Parameters<Parameters<SfuClientToServerEvents[E]>[1]>[0] extends Ack<infer T> ? T : never>,
  ): void {
    (socket.on as (event: string, listener: (...args: unknown[]) => void) => void)(event, (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') {
        logger.debug({ event }, 'request without acknowledgement ignored');
        return;
      }
      const reply = ack as (answer: Ack<unknown>) => void;
      Promise.resolve()
        .then(() => run(schema.parse(payload)))
        .then(
          (data) => reply({ ok: true, data }),
          (error: unknown) => reply({ ok: false, error: toErrorBody(error, logger, { event }) }),
        );
    });
  }

  handle('getRouterRtpCapabilities', emptySchema, async () => ({ ...room.rtpCapabilities }));
  handle('createTransport', createTransportSchema, (p) => room.createTransport(peer, p.direction));
  handle('connectTransport', connectTransportSchema, async (p) => {
    await room.connectTransport(peer, p.transportId, p.dtlsParameters);
    return null;
  });
  handle('join', joinSchema, (p) => room.join(peer, p.rtpCapabilities));
  handle('produce', produceSchema, (p) => room.produce(peer, p));
  handle('pauseProducer', producerRefSchema, async (p) => {
    await room.pauseProducer(peer, p.producerId);
    return null;
  });
  handle('resumeProducer', producerRefSchema, async (p) => {
    await room.resumeProducer(peer, p.producerId);
    return null;
  });
  handle('closeProducer', producerRefSchema, async (p) => {
    await room.closeProducer(peer, p.producerId);
    return null;
  });
}
