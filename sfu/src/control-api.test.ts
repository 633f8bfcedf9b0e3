import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RoomStats, RoomSummary, SfuHealth } from '@cc/contracts';
import { SfuControlClient, SfuControlError } from './control-client.ts';
import { audioRtpParameters, connect, ok, startTestSfu, type TestSfu } from './testing.ts';

describe('control API', () => {
  let sfu: TestSfu;
  before(async () => {
    sfu = await startTestSfu();
  });
  after(async () => {
    await sfu.close();
  });

  const call = (path: string, init: RequestInit = {}, secret: string | null = sfu.controlSecret) =>
    fetch(`${sfu.controlUrl}${path}`, {
      ...init,
      headers: { ...(secret === null ? {} : { authorization: `Bearer ${secret}` }), 'content-type': 'application/json' },
    });

  it('refuses requests without the bearer secret, or with a wrong one', async () => {
    for (const secret of [null, 'wrong', `${sfu.controlSecret}x`]) {
      const res = await call('/health', {}, secret);
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: { code: 'unauthenticated', message: 'A valid bearer token is required' } });
    }
    const res = await call('/rooms', { method: 'POST', body: JSON.stringify({ roomId: 'no-auth' }) }, null);
    assert.equal(res.status, 401);
    assert.equal(await sfu.client.getRoom('no-auth'), null);
  });

  it('health lists the workers and the number of rooms', async () => {
    const res = await call('/health');
    assert.equal(res.status, 200);
    const health = (await res.json()) as SfuHealth;
    assert.equal(health.workers.length, 1);
    assert.ok((health.workers[0]?.pid ?? 0) > 0);
    assert.equal(typeof health.rooms, 'number');
    assert.deepEqual(await sfu.client.health(), health);
  });

  it('creates a room idempotently: 201 then 200 with the same body', async () => {
    const first = await call('/rooms', { method: 'POST', body: JSON.stringify({ roomId: 'call-1' }) });
    assert.equal(first.status, 201);
    const body = await first.json();
    assert.deepEqual(body, { roomId: 'call-1', signalUrl: sfu.signalUrl });
    const second = await call('/rooms', { method: 'POST', body: JSON.stringify({ roomId: 'call-1' }) });
    assert.equal(second.status, 200);
    assert.deepEqual(await second.json(), body);
    // Concurrent creations of one id give one room on one router.
    const before = (await sfu.client.health()).workers[0]?.routers ?? 0;
    await Promise.all([sfu.client.createRoom('call-2'), sfu.client.createRoom('call-2'), sfu.client.createRoom('call-2')]);
    assert.equal((await sfu.client.health()).workers[0]?.routers, before + 1);
  });

  it('validates bodies', async () => {
    for (const body of ['{', JSON.stringify({}), JSON.stringify({ roomId: '' }), JSON.stringify({ roomId: 'x'.repeat(65) })]) {
      const res = await call('/rooms', { method: 'POST', body });
      assert.equal(res.status, 400, body);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'bad_request');
    }
    await sfu.client.createRoom('call-3');
    const res = await call('/rooms/call-3', { method: 'DELETE', body: JSON.stringify({ reason: 42 }) });
    assert.equal(res.status, 400);
  });

  it('GET /rooms/:id summarises peers and producers; stats carry mediasoup getStats()', async () => {
    await sfu.client.createRoom('call-4');
    assert.deepEqual(await sfu.client.getRoom('call-4'), { roomId: 'call-4', peers: [], playbacks: [], isolated: [] });
    const socket = await connect(sfu.signalUrl, await sfu.token('call-4', { sub: 'agent-7', publish: ['audio'] }));
    try {
      const transport = await ok(socket, 'createTransport', { direction: 'send' });
      const { id } = await ok(socket, 'produce', {
        transportId: transport.id,
        kind: 'audio',
        rtpParameters: audioRtpParameters(),
        source: 'microphone',
      });
      const summary = (await sfu.client.getRoom('call-4')) as RoomSummary;
      assert.deepEqual(summary, {
        roomId: 'call-4',
        peers: [{ peerId: 'agent-7', role: 'agent', producers: [{ id, kind: 'audio', paused: false }] }],
        playbacks: [],
        isolated: [],
      });
      const stats = (await sfu.client.getStats('call-4')) as RoomStats;
      const peer = stats.peers[0];
      assert.equal(peer?.peerId, 'agent-7');
      assert.equal(peer.transports[0]?.stats[0]?.['type'], 'webrtc-transport');
      assert.equal(peer.producers[0]?.id, id);
      assert.equal(peer.producers[0]?.source, 'microphone');
      assert.ok(Array.isArray(peer.producers[0]?.stats));
    } finally {
      socket.close();
    }
  });

  it('DELETE closes the room (204), then 404; the client treats 404 as done', async () => {
    await sfu.client.createRoom('call-5');
    const res = await call('/rooms/call-5', { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal(await sfu.client.getRoom('call-5'), null);
    assert.equal((await call('/rooms/call-5', { method: 'DELETE' })).status, 404);
    await sfu.client.closeRoom('call-5', 'hung up');
    assert.equal((await call('/rooms/nope')).status, 404);
    assert.equal((await call('/nowhere')).status, 404);
  });

  it('the client reports an unreachable SFU and a refused secret as SfuControlError', async () => {
    await assert.rejects(new SfuControlClient(sfu.controlUrl, 'x'.repeat(40)).health(), (error: unknown) => {
      assert.ok(error instanceof SfuControlError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'unauthenticated');
      return true;
    });
    await assert.rejects(new SfuControlClient('http://127.0.0.1:1', 'x', { timeoutMs: 1000 }).health(), (error: unknown) => {
      assert.ok(error instanceof SfuControlError);
      assert.equal(error.status, 0);
      return true;
    });
  });
});
