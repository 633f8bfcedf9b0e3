import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ComposerStart } from '@cc/contracts';
import { createTestDatabase, type TestDatabase } from '@cc/migrations/testing';
import { loadConfig } from './config.ts';
import { ComposerControlClient, ComposerControlError } from './control-client.ts';
import { startComposer, type RunningComposer } from './server.ts';

const START: ComposerStart = {
  recordingId: randomUUID(),
  organisationId: randomUUID(),
  storage: 'local',
  callId: 'call-1',
  conversationId: 'conv-1',
  agentName: 'Ada',
  endUser: 'Bob',
  composition: 'merged',
  legs: [
    { role: 'agent', peerId: 'agent-1', kind: 'audio' },
    { role: 'customer', peerId: 'customer-1', kind: 'audio' },
  ],
};

describe('composer control API', () => {
  let composer: RunningComposer;
  let client: ComposerControlClient;
  let dir: string;
  let t: TestDatabase;
  const secret = randomBytes(32).toString('hex');
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'composer-'));
    t = await createTestDatabase();
    composer = await startComposer(
      loadConfig({ COMPOSER_CONTROL_SECRET: secret, COMPOSER_PORT: '0', RECORDINGS_DIR: dir, DATABASE_URL: t.url, LOG_LEVEL: 'silent' }),
    );
    client = new ComposerControlClient(composer.controlUrl, secret);
  });
  after(async () => {
    await composer.close();
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a wrong secret and invalid requests', async () => {
    await assert.rejects(new ComposerControlClient(composer.controlUrl, 'x'.repeat(40)).start(START), (error: unknown) => {
      assert.ok(error instanceof ComposerControlError);
      assert.equal(error.status, 401);
      return true;
    });
    const twoAgents = { ...START, legs: [START.legs[0], START.legs[0]] } as ComposerStart;
    await assert.rejects(client.start(twoAgents), (error: unknown) => error instanceof ComposerControlError && error.status === 400);
    await assert.rejects(client.stop('unknown'), (error: unknown) => error instanceof ComposerControlError && error.status === 404);
  });

  it('opens one UDP port per leg, idempotently, and a stop without audio reports no file', async () => {
    const session = await client.start(START);
    assert.deepEqual(
      session.legs.map((l) => [l.role, l.peerId, l.kind, l.ip]),
      [
        ['agent', 'agent-1', 'audio', '127.0.0.1'],
        ['customer', 'customer-1', 'audio', '127.0.0.1'],
      ],
    );
    assert.notEqual(session.legs[0]?.port, session.legs[1]?.port);
    assert.deepEqual(await client.start(START), session);
    const result = await client.stop(START.recordingId);
    assert.deepEqual(result.files, []);
    assert.deepEqual(
      result.failures.map((f) => [f.leg, f.code]),
      [
        ['agent', 'no_audio'],
        ['customer', 'no_audio'],
        ['merged', 'no_audio'],
      ],
    );
    assert.deepEqual(await client.stop(START.recordingId), result);
    assert.deepEqual(await readdir(dir), ['.spool']);
  });
});
