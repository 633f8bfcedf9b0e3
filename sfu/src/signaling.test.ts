import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { NewConsumer } from '@cc/contracts';
import {
  audioRtpParameters,
  connect,
  consumerPaused,
  disconnected,
  next,
  ok,
  request,
  startTestSfu,
  videoRtpParameters,
  until,
  type ClientSocket,
  type TestSfu,
} from './testing.ts';

describe('signaling', () => {
  let sfu: TestSfu;
  const sockets: ClientSocket[] = [];
  before(async () => {
    sfu = await startTestSfu();
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await sfu.close();
  });

  async function join(room: string, sub: string, publish: ('audio' | 'video')[] = ['audio', 'video']): Promise<ClientSocket> {
    const role = sub.startsWith('customer') ? 'customer' : 'agent';
    const socket = await connect(
      sfu.signalUrl,
      await sfu.token(room, { sub, publish, role, name: role === 'agent' ? 'Ada Agent' : 'Carl Customer' }),
    );
    sockets.push(socket);
    return socket;
  }

  async function refusal(token: string): Promise<Error & { data?: { code?: string } }> {
    const error = await connect(sfu.signalUrl, token).then(
      () => assert.fail('the connection should have been refused'),
      (e: unknown) => e as Error & { data?: { code?: string } },
    );
    return error;
  }

  describe('connection', () => {
    it('refuses a missing, forged or expired token, and a token for an unknown room', async () => {
      await sfu.client.createRoom('room-auth');
      const missing = await refusal('');
      assert.equal(missing.data?.code, 'unauthenticated');

      const forged = await signJoinTokenWith('f'.repeat(40), { room: 'room-auth' });
      assert.equal((await refusal(forged)).data?.code, 'unauthenticated');

      const expired = await signJoinTokenWith(sfu.mediaSecret, { room: 'room-auth' }, Math.floor(Date.now() / 1000) - 10);
      const expiredError = await refusal(expired);
      assert.equal(expiredError.data?.code, 'unauthenticated');
      assert.equal(expiredError.message, 'The join token is invalid or expired');

      const unknownRoom = await refusal(await sfu.token('room-that-does-not-exist'));
      assert.equal(unknownRoom.data?.code, 'not_found');

      // The same secret and room, properly signed, is accepted.
      (await join('room-auth', 'someone')).close();
    });
  });

  describe('requests', () => {
    let socket: ClientSocket;
    before(async () => {
      await sfu.client.createRoom('room-req');
      socket = await join('room-req', 'customer-1', ['audio']);
    });

    it('getRouterRtpCapabilities offers Opus 48000/2 and VP8', async () => {
      const caps = (await ok(socket, 'getRouterRtpCapabilities', {})) as {
        codecs: { mimeType: string; clockRate: number; channels?: number }[];
      };
      const opus = caps.codecs.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
      assert.deepEqual([opus?.clockRate, opus?.channels], [48000, 2]);
      assert.ok(caps.codecs.some((c) => c.mimeType.toLowerCase() === 'video/vp8' && c.clockRate === 90000));
    });

    it('createTransport returns ICE and DTLS parameters with loopback candidates', async () => {
      const transport = await ok(socket, 'createTransport', { direction: 'send' });
      assert.equal(typeof transport.id, 'string');
      assert.equal(typeof transport.iceParameters['usernameFragment'], 'string');
      assert.ok(Array.isArray(transport.dtlsParameters['fingerprints']));
      assert.ok(transport.iceCandidates.length > 0);
      for (const candidate of transport.iceCandidates) assert.equal(candidate['ip'], '127.0.0.1');
      assert.deepEqual(new Set(transport.iceCandidates.map((c) => c['protocol'])), new Set(['udp', 'tcp']));
    });

    it('producing a kind the token does not allow is forbidden', async () => {
      const transport = await ok(socket, 'createTransport', { direction: 'send' });
      const ack = await request(socket, 'produce', {
        transportId: transport.id,
        kind: 'video',
        rtpParameters: videoRtpParameters(),
        source: 'camera',
      });
      assert.deepEqual(ack, { ok: false, error: { code: 'forbidden', message: 'This participant may not send video' } });
      const allowed = await request(socket, 'produce', {
        transportId: transport.id,
        kind: 'audio',
        rtpParameters: audioRtpParameters(),
        source: 'microphone',
      });
      assert.equal(allowed.ok, true);
      const again = await request(socket, 'produce', {
        transportId: transport.id,
        kind: 'audio',
        rtpParameters: audioRtpParameters(333),
        source: 'microphone',
      });
      assert.equal(again.ok ? 'ok' : again.error.code, 'conflict');
    });

    it('invalid payloads are bad_request', async () => {
      const transport = await ok(socket, 'createTransport', { direction: 'send' });
      const cases: [Parameters<typeof request>[1], unknown][] = [
        ['createTransport', { direction: 'sideways' }],
        ['createTransport', null],
        ['connectTransport', { transportId: transport.id }],
        ['connectTransport', { transportId: transport.id, dtlsParameters: { fingerprints: 'nope' } }],
        ['join', { rtpCapabilities: 'all of them' }],
        ['produce', { transportId: transport.id, kind: 'audio', rtpParameters: {}, source: 'laser' }],
        ['produce', { transportId: transport.id, kind: 'audio', rtpParameters: { codecs: 'opus' }, source: 'microphone' }],
        ['produce', { transportId: transport.id, kind: 'audio', rtpParameters: videoRtpParameters(), source: 'camera' }],
        ['pauseProducer', { producerId: 42 }],
        ['getRouterRtpCapabilities', 'please'],
      ];
      for (const [event, payload] of cases) {
        const ack = await request(socket, event, payload);
        assert.equal(ack.ok, false, `${event} ${JSON.stringify(payload)}`);
        if (!ack.ok) assert.equal(ack.error.code, 'bad_request', `${event} ${JSON.stringify(payload)}: ${ack.error.message}`);
      }
    });

    it('unknown ids are not_found', async () => {
      for (const event of ['pauseProducer', 'resumeProducer', 'closeProducer'] as const) {
        const ack = await request(socket, event, { producerId: 'nope' });
        assert.equal(ack.ok ? 'ok' : ack.error.code, 'not_found');
      }
      const ack = await request(socket, 'connectTransport', { transportId: 'nope', dtlsParameters: {} });
      assert.equal(ack.ok ? 'ok' : ack.error.code, 'not_found');
    });
  });

  describe('media fan-out', () => {
    it('consumes every other peer’s producers, resumes after the ack, and propagates pause, resume, close and leave', async () => {
      await sfu.client.createRoom('room-fan');
      const agent = await join('room-fan', 'agent-1');
      const agentSend = await ok(agent, 'createTransport', { direction: 'send' });
      await ok(agent, 'createTransport', { direction: 'recv' });
      const caps = await ok(agent, 'getRouterRtpCapabilities', {});
      assert.deepEqual(await ok(agent, 'join', { rtpCapabilities: caps }), { peers: [] });
      const { id: audioId } = await ok(agent, 'produce', {
        transportId: agentSend.id,
        kind: 'audio',
        rtpParameters: audioRtpParameters(),
        source: 'microphone',
      });

      // The customer arrives later: it gets the agent's existing producer once it has joined.
      const customer = await join('room-fan', 'customer-1', ['audio']);
      await ok(customer, 'createTransport', { direction: 'send' });
      await ok(customer, 'createTransport', { direction: 'recv' });
      const peerJoined = next(agent, 'peerJoined');
      const firstConsumer = next(customer, 'newConsumer');
      const joined = await ok(customer, 'join', { rtpCapabilities: caps });
      assert.deepEqual(joined.peers, [{ peerId: 'agent-1', role: 'agent', displayName: 'Ada Agent' }]);
      assert.deepEqual((await peerJoined)[0], { peerId: 'customer-1', role: 'customer', displayName: 'Carl Customer' });

      const [consumer, ack] = await firstConsumer;
      assertConsumer(consumer, { peerId: 'agent-1', producerId: audioId, kind: 'audio', source: 'microphone' });
      // Created paused; resumed only after the client acknowledged.
      assert.equal(await consumerPaused(sfu, 'room-fan', 'customer-1', consumer.id), true);
      ack({ ok: true, data: null });
      await until(async () => (await consumerPaused(sfu, 'room-fan', 'customer-1', consumer.id)) === false);

      // A producer created after the join reaches the other side too.
      const videoConsumer = next(customer, 'newConsumer');
      const { id: videoId } = await ok(agent, 'produce', {
        transportId: agentSend.id,
        kind: 'video',
        rtpParameters: videoRtpParameters(),
        source: 'camera',
      });
      const [video, videoAck] = await videoConsumer;
      assertConsumer(video, { peerId: 'agent-1', producerId: videoId, kind: 'video', source: 'camera' });
      videoAck({ ok: true, data: null });

      const paused = next(customer, 'consumerPaused');
      await ok(agent, 'pauseProducer', { producerId: audioId });
      assert.deepEqual((await paused)[0], { consumerId: consumer.id });
      const resumed = next(customer, 'consumerResumed');
      await ok(agent, 'resumeProducer', { producerId: audioId });
      assert.deepEqual((await resumed)[0], { consumerId: consumer.id });
      const closed = next(customer, 'consumerClosed');
      await ok(agent, 'closeProducer', { producerId: videoId });
      assert.deepEqual((await closed)[0], { consumerId: video.id });

      const left = next(customer, 'peerLeft');
      const audioClosed = next(customer, 'consumerClosed');
      agent.close();
      assert.deepEqual((await left)[0], { peerId: 'agent-1' });
      assert.deepEqual((await audioClosed)[0], { consumerId: consumer.id });
      await until(async () => (await sfu.client.getRoom('room-fan'))?.peers.length === 1);
    });

    it('a client that refuses newConsumer does not get the consumer', async () => {
      await sfu.client.createRoom('room-refuse');
      const agent = await join('room-refuse', 'agent-1');
      const send = await ok(agent, 'createTransport', { direction: 'send' });
      const caps = await ok(agent, 'getRouterRtpCapabilities', {});
      await ok(agent, 'join', { rtpCapabilities: caps });
      await ok(agent, 'produce', { transportId: send.id, kind: 'audio', rtpParameters: audioRtpParameters(), source: 'microphone' });
      const customer = await join('room-refuse', 'customer-1');
      await ok(customer, 'createTransport', { direction: 'recv' });
      const offered = next(customer, 'newConsumer');
      await ok(customer, 'join', { rtpCapabilities: caps });
      const [, ack] = await offered;
      ack({ ok: false, error: { code: 'internal', message: 'cannot decode' } });
      await until(async () => {
        const stats = await sfu.client.getStats('room-refuse');
        return stats?.peers.find((p) => p.peerId === 'customer-1')?.consumers.length === 0;
      });
    });
  });

  describe('lifecycle', () => {
    it('a second connection with the same peer id replaces the first', async () => {
      await sfu.client.createRoom('room-reload');
      const first = await join('room-reload', 'agent-1');
      const firstGone = disconnected(first);
      const second = await join('room-reload', 'agent-1');
      await firstGone;
      assert.equal(second.connected, true);
      const room = await sfu.client.getRoom('room-reload');
      assert.deepEqual(
        room?.peers.map((p) => p.peerId),
        ['agent-1'],
      );
      // The replaced socket's disconnect must not remove the new peer.
      assert.equal((await ok(second, 'createTransport', { direction: 'recv' })).id.length > 0, true);
    });

    it('DELETE /rooms/:id sends roomClosed with the reason and disconnects every peer', async () => {
      await sfu.client.createRoom('room-close');
      const agent = await join('room-close', 'agent-1');
      const customer = await join('room-close', 'customer-1');
      const events = [agent, customer].map((s) => Promise.all([next(s, 'roomClosed'), disconnected(s)]));
      await sfu.client.closeRoom('room-close', 'call ended');
      for (const [[closed], reason] of await Promise.all(events)) {
        assert.deepEqual(closed, { reason: 'call ended' });
        assert.equal(reason, 'io server disconnect');
      }
      assert.equal(await sfu.client.getRoom('room-close'), null);
      assert.equal((await refusal(await sfu.token('room-close'))).data?.code, 'not_found');
    });

    it('a room without peers closes itself after SFU_ROOM_IDLE_SECONDS', async () => {
      const idle = await startTestSfu({ SFU_ROOM_IDLE_SECONDS: '1' });
      try {
        await idle.client.createRoom('room-idle');
        const socket = await connect(idle.signalUrl, await idle.token('room-idle'));
        // The behaviour is "nothing happens for a while": only elapsed time can show it.
        await new Promise((resolve) => setTimeout(resolve, 1300));
        assert.notEqual(await idle.client.getRoom('room-idle'), null);
        socket.close();
        await until(async () => (await idle.client.getRoom('room-idle')) === null, 5000);
      } finally {
        await idle.close();
      }
    });
  });
});

function assertConsumer(consumer: NewConsumer, expected: Pick<NewConsumer, 'peerId' | 'producerId' | 'kind' | 'source'>): void {
  assert.deepEqual(
    {
      peerId: consumer.peerId,
      producerId: consumer.producerId,
      kind: consumer.kind,
      source: consumer.source,
      producerPaused: consumer.producerPaused,
    },
    { ...expected, producerPaused: false },
  );
  assert.ok(Array.isArray(consumer.rtpParameters['codecs']));
}

async function signJoinTokenWith(secret: string, claims: { room: string }, exp?: number): Promise<string> {
  const jwt = new SignJWT({ room: claims.room, name: 'Eve', role: 'customer', publish: ['audio'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('eve')
    .setAudience('sfu')
    .setIssuedAt(exp === undefined ? undefined : exp - 120);
  jwt.setExpirationTime(exp ?? '2m');
  return jwt.sign(new TextEncoder().encode(secret));
}
