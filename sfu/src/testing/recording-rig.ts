/**
 * Test rig for recording (used by this workspace's and the recording composer's tests): a
 * real mediasoup worker and router, RTP sources that inject known packets into the router
 * (a plain producer that learns the sender's address, as an RTP gateway would), and the
 * room's recording taps feeding targets chosen by the test.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { pino } from 'pino';
import { DEFAULT_WORKER_BIN } from '../config.ts';
import { createRouter, createWorker, loadMediasoup, type Producer, type Router, type Worker } from '../mediasoup-adapter.ts';
import { RoomRecordings, type ProducerOfPeer } from '../RecordingTap.ts';

export const OPUS_PAYLOAD_TYPE = 111;
export const VP8_PAYLOAD_TYPE = 96;

export interface RtpSource {
  peerId: string;
  producer: Producer;
  /** Sends one RTP packet into the producer. */
  send(packet: Buffer): Promise<void>;
  /** RTCP the SFU sent back to this source (key frame requests arrive here). */
  rtcp: Buffer[];
  close(): void;
}

export interface RecordingRig {
  router: Router;
  recordings: RoomRecordings;
  /** A new Opus source for `peerId`; the room's taps capture it as a room would. */
  audioSource(peerId: string, ssrc: number): Promise<RtpSource>;
  /** A new VP8 source for `peerId` (answers key frame requests with RTCP PLI, as browsers do). */
  videoSource(peerId: string, ssrc: number): Promise<RtpSource>;
  close(): void;
}

/** An RTP packet: 12-byte header (version 2, no CSRC, no extension) then the payload. */
export function rtpPacket(p: {
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload: Buffer;
}): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  header.writeUInt16BE(p.seq & 0xffff, 2);
  header.writeUInt32BE(p.timestamp >>> 0, 4);
  header.writeUInt32BE(p.ssrc >>> 0, 8);
  return Buffer.concat([header, p.payload]);
}

export async function startRecordingRig(): Promise<RecordingRig> {
  const mediasoup = await loadMediasoup(process.env['MEDIASOUP_WORKER_BIN'] ?? DEFAULT_WORKER_BIN);
  const rtcMin = 46000 + Math.floor(Math.random() * 300) * 20;
  const worker: Worker = await createWorker(mediasoup, { logLevel: 'warn', rtcMinPort: rtcMin, rtcMaxPort: rtcMin + 19 });
  const router = await createRouter(worker);
  const producers: ProducerOfPeer[] = [];
  const recordings = new RoomRecordings({ router, listenIp: '127.0.0.1', logger: pino({ level: 'silent' }), producers: () => producers });
  const sockets: Socket[] = [];

  const audioSource = (peerId: string, ssrc: number) => source(peerId, ssrc, 'audio');
  const videoSource = (peerId: string, ssrc: number) => source(peerId, ssrc, 'video');

  async function source(peerId: string, ssrc: number, kind: 'audio' | 'video'): Promise<RtpSource> {
    const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
    const codec =
      kind === 'audio'
        ? { mimeType: 'audio/opus', payloadType: OPUS_PAYLOAD_TYPE, clockRate: 48000, channels: 2, parameters: {} }
        : // PLI in the feedback: mediasoup then forwards key frame requests to this source.
          {
            mimeType: 'video/VP8',
            payloadType: VP8_PAYLOAD_TYPE,
            clockRate: 90000,
            parameters: {},
            rtcpFeedback: [{ type: 'nack', parameter: 'pli' }],
          };
    const producer = await transport.produce({ kind, rtpParameters: { codecs: [codec], encodings: [{ ssrc }], rtcp: { cname: peerId } } });
    const socket = createSocket('udp4');
    sockets.push(socket);
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const rtcp: Buffer[] = [];
    socket.on('message', (datagram: Buffer) => rtcp.push(datagram));
    const entry = { peerId, producer };
    producers.push(entry);
    recordings.producerAdded(entry);
    return {
      peerId,
      producer,
      rtcp,
      send: (packet) =>
        new Promise((resolve, reject) =>
          socket.send(packet, transport.tuple.localPort, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
        ),
      close: () => {
        const at = producers.indexOf(entry);
        if (at >= 0) producers.splice(at, 1);
        transport.close();
      },
    };
  }

  return {
    router,
    recordings,
    audioSource,
    videoSource,
    close: () => {
      recordings.close();
      for (const socket of sockets) socket.close();
      worker.close();
    },
  };
}
