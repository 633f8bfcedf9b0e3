import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { RecordingTapSummary } from '@cc/contracts';
import { OPUS_PAYLOAD_TYPE, rtpPacket, startRecordingRig } from './testing/recording-rig.ts';
import { audioRtpParameters, connect, ok, startTestSfu, type ClientSocket, type TestSfu } from './testing.ts';

async function udpTarget(): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

async function produceAudio(sfu: TestSfu, room: string, sub: string): Promise<{ socket: ClientSocket; producerId: string }> {
  const socket = await connect(sfu.signalUrl, await sfu.token(room, { sub, publish: ['audio'] }));
  const transport = await ok(socket, 'createTransport', { direction: 'send' });
  const { id } = await ok(socket, 'produce', {
    transportId: transport.id,
    kind: 'audio',
    rtpParameters: audioRtpParameters(),
    source: 'microphone',
  });
  return { socket, producerId: id };
}

/** Polls the tap until `done` holds: consumers are created asynchronously after a produce. */
async function tapUntil(sfu: TestSfu, room: string, id: string, done: (s: RecordingTapSummary) => boolean): Promise<RecordingTapSummary> {
  for (;;) {
    const summary = await sfu.client.getRecording(room, id);
    assert.ok(summary, 'the tap exists');
    if (done(summary)) return summary;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('recording taps (SPEC §13 capture)', () => {
  let sfu: TestSfu;
  before(async () => {
    sfu = await startTestSfu();
  });
  after(async () => {
    await sfu.close();
  });

  it('captures each listed leg, also a peer that produces later or reloads, until stopped', async () => {
    await sfu.client.createRoom('rec-1');
    const agent = await produceAudio(sfu, 'rec-1', 'agent-1');
    const request = {
      recordingId: 'r-1',
      legs: [
        { peerId: 'agent-1', kind: 'audio' as const, ip: '127.0.0.1', port: 50001 },
        { peerId: 'customer-1', kind: 'audio' as const, ip: '127.0.0.1', port: 50002 },
      ],
    };
    const started = await sfu.client.startRecording('rec-1', request);
    assert.equal(started.legs[0]?.producerId, agent.producerId);
    assert.equal(typeof started.legs[0]?.ssrc, 'number');
    assert.equal(typeof started.legs[0]?.payloadType, 'number');
    assert.equal(started.legs[1]?.producerId, null);
    // Idempotent by recording id.
    assert.deepEqual(await sfu.client.startRecording('rec-1', request), started);

    const customer = await produceAudio(sfu, 'rec-1', 'customer-1');
    await tapUntil(sfu, 'rec-1', 'r-1', (s) => s.legs[1]?.producerId === customer.producerId);

    // A reload: same peer id, new connection and producer, captured on the same leg.
    const reloaded = await produceAudio(sfu, 'rec-1', 'customer-1');
    const after = await tapUntil(sfu, 'rec-1', 'r-1', (s) => s.legs[1]?.producerId === reloaded.producerId);
    assert.equal(after.legs[1]?.port, 50002);

    await sfu.client.stopRecording('rec-1', 'r-1');
    assert.equal(await sfu.client.getRecording('rec-1', 'r-1'), null);
    await sfu.client.stopRecording('rec-1', 'r-1');
    for (const s of [agent.socket, customer.socket, reloaded.socket]) s.close();
  });

  it('validates the request, needs the room, and closes with the room', async () => {
    const res = await fetch(`${sfu.controlUrl}/rooms/nope/recordings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sfu.controlSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recordingId: 'x', legs: [{ peerId: 'a', kind: 'audio', ip: '127.0.0.1', port: 1 }] }),
    });
    assert.equal(res.status, 404);
    await sfu.client.createRoom('rec-2');
    const bad = await fetch(`${sfu.controlUrl}/rooms/rec-2/recordings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sfu.controlSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recordingId: 'x', legs: [{ peerId: 'a', kind: 'audio', ip: 'not-an-ip', port: 1 }] }),
    });
    assert.equal(bad.status, 400);
    await sfu.client.startRecording('rec-2', { recordingId: 'r-2', legs: [{ peerId: 'a', kind: 'audio', ip: '127.0.0.1', port: 50003 }] });
    await sfu.client.closeRoom('rec-2');
    assert.equal(await sfu.client.getRecording('rec-2', 'r-2'), null);
  });

  it('sends the leg as RTP with the consumer SSRC, and RTCP Sender Reports on the same port', async () => {
    const rig = await startRecordingRig();
    const target = await udpTarget();
    try {
      const rtp: Buffer[] = [];
      let senderReport: Buffer | undefined;
      const gotReport = new Promise<void>((resolve) =>
        target.on('message', (msg: Buffer) => {
          const pt = msg[1] ?? 0;
          // RTCP packet types 200..204 share the port with RTP (rtcp-mux, RFC 5761).
          if (pt >= 200 && pt <= 204) {
            if (pt === 200) {
              senderReport = msg;
              resolve();
            }
          } else rtp.push(msg);
        }),
      );
      const { tap } = await rig.recordings.start({
        recordingId: 'r-3',
        legs: [{ peerId: 'agent', kind: 'audio', ip: '127.0.0.1', port: target.address().port }],
      });
      const source = await rig.audioSource('agent', 1234);
      await tapUntil0(() => tap.summary().legs[0]?.ssrc !== null);
      const ssrc = tap.summary().legs[0]?.ssrc;
      // 20 ms packets until the first Sender Report arrives (mediasoup reports only after sending media).
      let seq = 0;
      const timer = setInterval(() => {
        void source.send(
          rtpPacket({ payloadType: OPUS_PAYLOAD_TYPE, seq, timestamp: seq * 960, ssrc: 1234, payload: Buffer.from([0xf8, 0xff, 0xfe]) }),
        );
        seq++;
      }, 20);
      await gotReport;
      clearInterval(timer);
      assert.ok(rtp.length > 0);
      assert.equal(rtp[0]?.readUInt32BE(8), ssrc);
      assert.equal(senderReport?.readUInt32BE(4), ssrc);
    } finally {
      target.close();
      rig.close();
    }
  });
});

async function tapUntil0(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}
