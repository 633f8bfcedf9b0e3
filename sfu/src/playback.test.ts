/** Server-played audio and hold through the control API, with real signaling clients. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PLAYBACK_PEER_ID, type NewConsumer } from '@cc/contracts';
import { type SfuControlError } from './control-client.ts';
import {
  audioRtpParameters,
  connect,
  consumerPaused,
  next,
  ok,
  sha256,
  startTestSfu,
  toneOgg,
  until,
  type ClientSocket,
  type TestSfu,
} from './testing.ts';

describe('playback and hold (control API)', () => {
  let sfu: TestSfu;
  const sockets: ClientSocket[] = [];
  const music = toneOgg(400, 1);
  const musicHash = sha256(music);

  before(async () => {
    sfu = await startTestSfu();
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await sfu.close();
  });

  async function join(room: string, sub: string, role: 'agent' | 'customer'): Promise<{ socket: ClientSocket; consumers: NewConsumer[] }> {
    const socket = await connect(sfu.signalUrl, await sfu.token(room, { sub, role, publish: ['audio'] }));
    sockets.push(socket);
    const consumers: NewConsumer[] = [];
    socket.on('newConsumer', (consumer, ack) => {
      consumers.push(consumer);
      ack({ ok: true, data: null });
    });
    const send = await ok(socket, 'createTransport', { direction: 'send' });
    await ok(socket, 'createTransport', { direction: 'recv' });
    await ok(socket, 'join', { rtpCapabilities: await ok(socket, 'getRouterRtpCapabilities', {}) });
    const ssrc = role === 'agent' ? 1111 : 2222;
    await ok(socket, 'produce', { transportId: send.id, kind: 'audio', rtpParameters: audioRtpParameters(ssrc), source: 'microphone' });
    return { socket, consumers };
  }

  async function failure(call: Promise<unknown>): Promise<SfuControlError> {
    return call.then(
      () => assert.fail('expected a refusal'),
      (error: unknown) => error as SfuControlError,
    );
  }

  it('takes a prompt only when it matches its hash and is Ogg Opus', async () => {
    assert.equal(await sfu.client.hasPrompt(musicHash), false);
    assert.equal((await failure(sfu.client.uploadPrompt(sha256(Buffer.from('x')), music))).code, 'bad_request');
    const notOgg = Buffer.from('RIFF....WAVEfmt ');
    assert.match((await failure(sfu.client.uploadPrompt(sha256(notOgg), notOgg))).message, /Not a playable prompt/);
    assert.equal((await failure(sfu.client.uploadPrompt('not-a-hash', music))).code, 'bad_request');
    await sfu.client.uploadPrompt(musicHash, music);
    await sfu.client.uploadPrompt(musicHash, music); // idempotent
    assert.equal(await sfu.client.hasPrompt(musicHash), true);
  });

  it('refuses a playback naming a prompt it does not hold', async () => {
    await sfu.client.createRoom('room-missing');
    const error = await failure(sfu.client.play('room-missing', 'customer-1', { loop: 'a'.repeat(64) }));
    assert.equal(error.code, 'prompt_missing');
    assert.equal(error.status, 409);
    assert.deepEqual((await sfu.client.getRoom('room-missing'))?.playbacks, []);
  });

  it('plays to one participant only, from the moment they join', async () => {
    await sfu.client.uploadPrompt(musicHash, music);
    await sfu.client.createRoom('room-play');
    const agent = await join('room-play', 'agent-1', 'agent');
    assert.deepEqual(await sfu.client.play('room-play', 'customer-1', { loop: musicHash }), { introMs: 0 });
    // Not joined yet: nothing is sent into the void.
    assert.deepEqual((await sfu.client.getRoom('room-play'))?.playbacks, [{ peerId: 'customer-1', playing: true, packetsSent: 0 }]);
    const customer = await join('room-play', 'customer-1', 'customer');
    await until(async () => customer.consumers.some((c) => c.peerId === PLAYBACK_PEER_ID));
    const offered = customer.consumers.find((c) => c.peerId === PLAYBACK_PEER_ID);
    assert.equal(offered?.source, 'playback');
    assert.equal(offered?.kind, 'audio');
    await until(async () => ((await sfu.client.getRoom('room-play'))?.playbacks[0]?.packetsSent ?? 0) >= 10);
    assert.equal(
      agent.consumers.some((c) => c.peerId === PLAYBACK_PEER_ID),
      false,
    );
    await sfu.client.stopPlayback('room-play', 'customer-1');
    assert.equal((await sfu.client.getRoom('room-play'))?.playbacks[0]?.playing, false);
  });

  it('a request older than one already seen for the participant is ignored', async () => {
    await sfu.client.uploadPrompt(musicHash, music);
    await sfu.client.createRoom('room-order');
    // The call was answered (version 1) before the waiting music's request (version 0) arrived.
    await sfu.client.stopPlayback('room-order', 'customer-1', 1);
    assert.deepEqual(await sfu.client.play('room-order', 'customer-1', { loop: musicHash, version: 0 }), { introMs: 0, stale: true });
    assert.deepEqual((await sfu.client.getRoom('room-order'))?.playbacks, []);
    await sfu.client.setIsolated('room-order', 'customer-1', true, 0);
    assert.deepEqual((await sfu.client.getRoom('room-order'))?.isolated, []);
    // The same version may carry several requests (hold isolates and plays).
    await sfu.client.setIsolated('room-order', 'customer-1', true, 2);
    await sfu.client.play('room-order', 'customer-1', { loop: musicHash, version: 2 });
    const room = await sfu.client.getRoom('room-order');
    assert.deepEqual(room?.isolated, ['customer-1']);
    assert.equal(room?.playbacks[0]?.playing, true);
  });

  it('on hold, neither side receives the other; the held participant still gets playback', async () => {
    await sfu.client.createRoom('room-hold');
    const agent = await join('room-hold', 'agent-1', 'agent');
    const customer = await join('room-hold', 'customer-1', 'customer');
    await sfu.client.play('room-hold', 'customer-1', { loop: musicHash });
    await until(async () => customer.consumers.length === 2 && agent.consumers.length === 1);
    const agentHearsCustomer = agent.consumers[0]?.id ?? '';
    const customerHearsAgent = customer.consumers.find((c) => c.peerId === 'agent-1')?.id ?? '';
    const customerHearsMusic = customer.consumers.find((c) => c.peerId === PLAYBACK_PEER_ID)?.id ?? '';
    const paused = async () => [
      await consumerPaused(sfu, 'room-hold', 'agent-1', agentHearsCustomer),
      await consumerPaused(sfu, 'room-hold', 'customer-1', customerHearsAgent),
      await consumerPaused(sfu, 'room-hold', 'customer-1', customerHearsMusic),
    ];
    await until(async () => (await paused()).every((p) => p === false));

    await sfu.client.setIsolated('room-hold', 'customer-1', true);
    assert.deepEqual(await paused(), [true, true, false]);
    assert.deepEqual((await sfu.client.getRoom('room-hold'))?.isolated, ['customer-1']);
    // A participant who reconnects while on hold stays on hold.
    const reloaded = next(agent.socket, 'peerJoined');
    const again = await join('room-hold', 'customer-1', 'customer');
    await reloaded;
    await until(async () => again.consumers.length === 2);
    const heldAgain = again.consumers.find((c) => c.peerId === 'agent-1')?.id ?? '';
    await until(async () => (await consumerPaused(sfu, 'room-hold', 'customer-1', heldAgain)) === true);

    await sfu.client.setIsolated('room-hold', 'customer-1', false);
    assert.equal(await consumerPaused(sfu, 'room-hold', 'customer-1', heldAgain), false);
    assert.equal((await failure(sfu.client.setIsolated('no-such-room', 'customer-1', true))).code, 'not_found');
  });
});
