import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, disconnected, next, startTestSfu, type TestSfu } from './testing.ts';

describe('worker pool', () => {
  let sfu: TestSfu;
  before(async () => {
    sfu = await startTestSfu({ SFU_WORKERS: '2' });
  });
  after(async () => {
    await sfu.close();
  });

  it('places rooms on the least-loaded worker', async () => {
    await sfu.client.createRoom('a');
    await sfu.client.createRoom('b');
    const { workers } = await sfu.client.health();
    assert.deepEqual(
      workers.map((w) => w.routers),
      [1, 1],
    );
    await sfu.client.closeRoom('a');
    await sfu.client.closeRoom('b');
    assert.deepEqual(
      (await sfu.client.health()).workers.map((w) => w.routers),
      [0, 0],
    );
  });

  it('replaces a dead worker; its rooms close with reason media_failure', async () => {
    await sfu.client.createRoom('doomed');
    const socket = await connect(sfu.signalUrl, await sfu.token('doomed'));
    const events = Promise.all([next(socket, 'roomClosed'), disconnected(socket)]);
    const before = (await sfu.client.health()).workers;
    const victim = before.find((w) => w.routers === 1);
    assert.ok(victim);
    process.kill(victim.pid, 'SIGKILL');

    const [[closed]] = await events;
    assert.deepEqual(closed, { reason: 'media_failure' });
    assert.equal(await sfu.client.getRoom('doomed'), null);
    const deadline = Date.now() + 5000;
    let after = (await sfu.client.health()).workers;
    while (after.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = (await sfu.client.health()).workers;
    }
    assert.equal(after.length, 2);
    assert.ok(!after.some((w) => w.pid === victim.pid));
    // New rooms work on the replacement pool.
    assert.equal((await sfu.client.createRoom('after')).roomId, 'after');
  });
});
