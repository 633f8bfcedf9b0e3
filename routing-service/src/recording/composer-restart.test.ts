/**
 * SPEC §13 "a recording may take a moment; a failed one says so", when the recording composer
 * dies during a call: a composer process (killed with SIGKILL) that is started again within
 * the stop's retry window takes the recording up and files it; one that never comes back
 * leaves the recording failed with the reason, never "being processed" for ever.
 * The Socket.IO clients here send no media, so a filed recording's legs are "no audio".
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { composerProcess, type ComposerProcess } from '@cc/recording-composer/testing/process';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startRoutingService, type RoutingService } from '../server.ts';
import { AgentClient, CustomerClient, createLink, login, seed, startTestMedia } from '../testing/context.ts';

/** The stop's retry window: long enough for a composer process to start again on a busy machine. */
const STOP_RETRY_SECONDS = 10;

let media: Awaited<ReturnType<typeof startTestMedia>>;
let composer: ComposerProcess;
let service: RoutingService;
let dir: string;
before(async () => {
  media = await startTestMedia();
  dir = await mkdtemp(path.join(os.tmpdir(), 'recordings-'));
  composer = await composerProcess({ RECORDINGS_DIR: dir, DATABASE_URL: media.t.url, COMPOSER_NODE: 'restart-test' });
  await composer.start();
  service = await startRoutingService({
    config: loadConfig({
      ...media.env,
      PORT: '0',
      COMPOSER_CONTROL_URL: composer.url,
      COMPOSER_CONTROL_SECRET: composer.secret,
      COMPOSER_STOP_RETRY_SECONDS: String(STOP_RETRY_SECONDS),
    }),
    db: media.t.db,
    logger: createLogger('silent'),
  });
});
after(async () => {
  await service.close();
  await composer.kill();
  await media.sfu.close();
  await media.t.drop();
  await rm(dir, { recursive: true, force: true });
});

const ctx = () => ({ t: media.t, url: service.url });

/** Recordings the composer has answered a start for: each has its manifest in the spool (recording-composer/README.md). */
async function composerManifests(): Promise<number> {
  const names = await readdir(path.join(dir, '.spool')).catch(() => []);
  return names.filter((name) => name.endsWith('.json')).length;
}

/** A recorded call: once the composer records it, `whileRecorded` runs, then the customer hangs up. */
async function recordedCall(agent: AgentClient, cookie: string, whileRecorded: () => Promise<void>): Promise<string> {
  const manifests = await composerManifests();
  const { token } = await createLink(ctx(), cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Grace Hopper' });
  const customer = await CustomerClient.connect(ctx(), token);
  const started = (await customer.socket.timeout(10_000).emitWithAck('call:start', { media: 'audio' })) as {
    ok: true;
    data: { call: { callId: string } };
  };
  assert.ok(started.ok);
  await agent.waitFor((s) => s.call?.state === 'ringing');
  assert.ok((await agent.request('call:answer', { callId: started.data.call.callId })).ok);
  await agent.waitFor((s) => s.call?.state === 'connected');
  const deadline = Date.now() + 10_000;
  while ((await composerManifests()) === manifests) {
    assert.ok(Date.now() < deadline, 'the composer records the call');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await whileRecorded();
  await customer.socket.timeout(5000).emitWithAck('call:hangup', {});
  await agent.waitFor((s) => s.call === null);
  customer.socket.close();
  return started.data.call.callId;
}

/** The call's recording rows once none is processing (within `withinMs`). */
async function filed(callId: string, withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const rows = await media.t.db
      .selectFrom('recording')
      .select(['leg', 'status', 'error'])
      .where('call_id', '=', callId)
      .orderBy('leg')
      .execute();
    if (rows.length > 0 && rows.every((r) => r.status !== 'processing')) return rows.map((r) => `${r.leg}:${r.status}:${r.error ?? ''}`);
    assert.ok(Date.now() < deadline, `the recording is still being processed: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('recording when the composer dies mid-call (SPEC §13)', () => {
  test('a composer restarted within the retry window files the recording; one that never comes back fails it with the reason', async () => {
    const org = await seed(ctx(), { wrapUpSeconds: 0, agents: [{ name: 'Ada Lovelace' }] });
    await media.t.db
      .insertInto('recording_configuration')
      .values({ organisation_id: org.organisationId, enabled: true, composition: 'per_leg' })
      .execute();
    const cookie = await login(ctx(), org.emails[0] ?? '');
    const agent = await AgentClient.connect(ctx(), cookie);

    // Killed during the call, back a second after the hang-up: the stop's retries reach it.
    const restarted = await recordedCall(agent, cookie, () => composer.kill());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await composer.start();
    assert.deepEqual(await filed(restarted, STOP_RETRY_SECONDS * 1000), [
      'agent:failed:This leg carried no audio',
      'customer:failed:This leg carried no audio',
    ]);

    // Killed and never back: failed with the reason once the retry window is over, not before.
    await agent.waitFor((s) => s.status === 'available');
    const lost = await recordedCall(agent, cookie, () => composer.kill());
    const hungUp = Date.now();
    const reason = `The recording composer could not be reached for ${STOP_RETRY_SECONDS} s after the call; the recording is lost`;
    const rows = await filed(lost, (STOP_RETRY_SECONDS + 10) * 1000);
    assert.ok(Date.now() - hungUp >= STOP_RETRY_SECONDS * 1000, 'retried for the whole window before failing');
    assert.deepEqual(rows, [`agent:failed:${reason}`, `customer:failed:${reason}`]);
    agent.socket.close();
  });
});
