/**
 * Everything specific to mediasoup 3.8.4 lives here: how the worker binary is chosen, option
 * names (`listenIps`, `rtcMinPort`/`rtcMaxPort`), router codecs and the transport parameters
 * sent to browsers. Moving to a newer mediasoup (e.g. `listenInfos`, `workerBin` via env at
 * spawn time, typed events) should only touch this file.
 */
import type { types as ms } from 'mediasoup';
import type * as mediasoupModule from 'mediasoup';
import type { TransportOptions } from '@cc/contracts';

export type Worker = ms.Worker;
export type Router = ms.Router;
export type Transport = ms.Transport;
export type WebRtcTransport = ms.WebRtcTransport;
export type DirectTransport = ms.DirectTransport;
export type PlainTransport = ms.PlainTransport;
export type Producer = ms.Producer;
export type Consumer = ms.Consumer;
export type RtpCapabilities = ms.RtpCapabilities;
export type RtpParameters = ms.RtpParameters;
export type DtlsParameters = ms.DtlsParameters;
export type MediaKind = ms.MediaKind;
export type MediasoupModule = typeof mediasoupModule;

export interface WorkerSettings {
  logLevel: 'debug' | 'warn' | 'error' | 'none';
  rtcMinPort: number;
  rtcMaxPort: number;
}

export interface WebRtcListen {
  listenIp: string;
  announcedIp: string | undefined;
}

/** Opus stereo and VP8: what every browser sends and what the recording composer writes. */
const MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
];

let loaded: Promise<MediasoupModule> | undefined;

/**
 * mediasoup 3.8.4 reads MEDIASOUP_WORKER_BIN once, when its Worker module is first loaded,
 * so the variable is set (unless the operator already set it) before a lazy import.
 */
export function loadMediasoup(workerBin: string): Promise<MediasoupModule> {
  if (!loaded) {
    process.env['MEDIASOUP_WORKER_BIN'] ??= workerBin;
    loaded = import('mediasoup');
  }
  return loaded;
}

export async function createWorker(mediasoup: MediasoupModule, settings: WorkerSettings): Promise<Worker> {
  return mediasoup.createWorker({ logLevel: settings.logLevel, rtcMinPort: settings.rtcMinPort, rtcMaxPort: settings.rtcMaxPort });
}

export async function createRouter(worker: Worker): Promise<Router> {
  return worker.createRouter({ mediaCodecs: MEDIA_CODECS });
}

export async function createWebRtcTransport(router: Router, listen: WebRtcListen): Promise<WebRtcTransport> {
  return router.createWebRtcTransport({
    listenIps: [{ ip: listen.listenIp, ...(listen.announcedIp ? { announcedIp: listen.announcedIp } : {}) }],
    enableUdp: true,
    enableTcp: true,
    preferUdp: true,
  });
}

/** The room's in-process transport that server-played audio (prompts, music) is produced on. */
export async function createDirectTransport(router: Router): Promise<DirectTransport> {
  return router.createDirectTransport();
}

/** An Opus producer fed by `producer.send(rtpPacket)` with the given payload type and SSRC. */
export async function createPlaybackProducer(transport: DirectTransport, payloadType: number, ssrc: number): Promise<Producer> {
  return transport.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType, clockRate: 48000, channels: 2, rtcpFeedback: [] }],
      encodings: [{ ssrc }],
    },
  });
}

/** What mediasoup-client's `device.createSendTransport/createRecvTransport` needs. */
export function transportOptions(transport: WebRtcTransport): TransportOptions {
  return {
    id: transport.id,
    iceParameters: { ...transport.iceParameters },
    iceCandidates: transport.iceCandidates.map((candidate) => ({ ...candidate })),
    dtlsParameters: { ...transport.dtlsParameters },
  };
}

/**
 * Subscribes to the "closed for whatever reason" notification of a mediasoup object
 * (own close(), parent closed, producer closed). In 3.8.4 that is `observer.on('close')`.
 */
export function onClosed(entity: { observer: { once(event: 'close', listener: () => void): unknown } }, listener: () => void): void {
  entity.observer.once('close', listener);
}

/** Producer pause/resume as seen by a consumer (3.8.4 event names). */
export function onProducerPauseChange(consumer: Consumer, listener: (paused: boolean) => void): void {
  consumer.on('producerpause', () => listener(true));
  consumer.on('producerresume', () => listener(false));
}

export function onWorkerDied(worker: Worker, listener: (error: Error) => void): void {
  worker.on('died', listener);
}

/** Validation failures raised by mediasoup for bad client parameters (as opposed to bugs or a dead worker). */
export function isParameterError(mediasoup: MediasoupModule, error: unknown): boolean {
  return error instanceof TypeError || error instanceof mediasoup.types.UnsupportedError;
}

/**
 * A plain (unencrypted) RTP sender towards the recording composer: RTP and RTCP muxed on one
 * port (3.8.4: `listenIp`, `rtcpMux`, `comedia`; newer releases take `listenInfo`). The
 * remote address is given, not learnt (comedia off), since the composer never sends first.
 */
export async function createRecordingTransport(
  router: Router,
  listenIp: string,
  target: { ip: string; port: number },
): Promise<PlainTransport> {
  const transport = await router.createPlainTransport({ listenIp, rtcpMux: true, comedia: false });
  try {
    await transport.connect({ ip: target.ip, port: target.port });
  } catch (error) {
    transport.close();
    throw error;
  }
  return transport;
}
