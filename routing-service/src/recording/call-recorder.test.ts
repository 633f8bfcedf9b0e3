/**
 * SPEC §13 wiring through real parts (PostgreSQL, SFU, recording composer): a call is
 * recorded when it connects and filed when it ends, with the configuration read when the
 * call started — a change during the call affects only later calls. The Socket.IO clients
 * here send no media, so each file is filed as failed ("no audio"); the files themselves are
 * checked in the composer's tests and the end-to-end suite.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig as loadComposerConfig } from '@cc/recording-composer/config';
import { startComposer, type RunningComposer } from '@cc/recording-composer/server';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startRoutingService, type RoutingService } from '../server.ts';
import { systemClock } from '../clock.ts';
import { callRecorder } from './wiring.ts';
import { AgentClient, CustomerClient, createLink, login, seed, startTestMedia } from '../testing/context.ts';

let media: Awaited<ReturnType<typeof startTestMedia>>;
let composer: RunningComposer;
let service: RoutingService;
let dir: string;
let config: ReturnType<typeof loadConfig>;
before(async () => {
  media = await startTestMedia();
  dir = await mkdtemp(path.join(os.tmpdir(), 'recordings-'));
  const secret = randomBytes(32).toString('hex');
  composer = await startComposer(
    loadComposerConfig({
      COMPOSER_CONTROL_SECRET: secret,
      COMPOSER_PORT: '0',
      RECORDINGS_DIR: dir,
      DATABASE_URL: media.t.url,
      LOG_LEVEL: 'warn',
    }),
  );
  config = loadConfig({ ...media.env, PORT: '0', COMPOSER_CONTROL_URL: composer.controlUrl, COMPOSER_CONTROL_SECRET: secret });
  service = await startRoutingService({
    config,
    db: media.t.db,
    logger: createLogger('warn'),
  });
});
after(async () => {
  await service.close();
  await composer.close();
  await media.sfu.close();
  await media.t.drop();
  await rm(dir, { recursive: true, force: true });
});

const ctx = () => ({ t: media.t, url: service.url });

async function callAnsweredAndEnded(agent: AgentClient, cookie: string, callMedia: 'audio' | 'video' = 'audio'): Promise<string> {
  const { token } = await createLink(ctx(), cookie, { type: 'one_time', routing: 'routing_rules', identity: 'Grace Hopper' });
  const customer = await CustomerClient.connect(ctx(), token);
  const started = (await customer.socket.timeout(10_000).emitWithAck('call:start', { media: callMedia })) as {
    ok: true;
    data: { call: { callId: string } };
  };
  assert.ok(started.ok);
  const callId = started.data.call.callId;
  // The change a supervisor makes now must not affect this call.
  await media.t.db
    .updateTable('recording_configuration')
    .set((eb) => ({ enabled: eb.not('enabled') }))
    .execute();
  await agent.waitFor((s) => s.call?.state === 'ringing');
  assert.ok((await agent.request('call:answer', { callId })).ok);
  await agent.waitFor((s) => s.call?.state === 'connected');
  await customer.socket.timeout(5000).emitWithAck('call:hangup', {});
  await agent.waitFor((s) => s.call === null);
  customer.socket.close();
  return callId;
}

/** The call's files once filed; `sessions`: how many recordings (agent segments) the call has when it is done. */
async function recordingRows(callId: string, sessions = 1): Promise<string[]> {
  // Filing runs after the call's commit: wait for it to settle (every session stopped, its rows
  // filed, none processing). A later segment's session is opened after commit too.
  const deadline = Date.now() + 10_000;
  for (;;) {
    assert.ok(Date.now() < deadline, 'the recording was never filed');
    const rows = await media.t.db
      .selectFrom('recording')
      .select(['session_id', 'leg', 'status', 'error'])
      .where('call_id', '=', callId)
      .orderBy('leg')
      .execute();
    const all = await media.t.db.selectFrom('recording_session').select(['id', 'state']).where('call_id', '=', callId).execute();
    if (all.length === 0) {
      const settings = await media.t.db
        .selectFrom('call_recording_settings')
        .select('record')
        .where('call_id', '=', callId)
        .executeTakeFirst();
      if (settings && !settings.record) return [];
    }
    const filed =
      all.length >= sessions &&
      all.every((session) => session.state === 'stopped' && rows.some((r) => r.session_id === session.id)) &&
      rows.every((r) => r.status !== 'processing');
    if (filed) return rows.map((r) => `${r.leg}:${r.status}:${r.error ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An organisation recording its calls with `configuration`, and its first agent logged in and connected. */
async function recordingOrg(
  configuration: { composition: 'merged' | 'per_leg'; video_mode?: 'audio_only' | 'audio_and_video' },
  agents: Parameters<typeof seed>[1]['agents'] = [{ name: 'Ada Lovelace' }],
) {
  const org = await seed(ctx(), { wrapUpSeconds: 0, agents });
  await media.t.db
    .insertInto('recording_configuration')
    .values({ organisation_id: org.organisationId, enabled: true, ...configuration })
    .execute();
  const cookie = await login(ctx(), org.emails[0] ?? '');
  const agent = await AgentClient.connect(ctx(), cookie);
  return { org, cookie, agent };
}

describe('call recording (SPEC §13)', () => {
  test('the configuration is read when a call starts: enabled then → recorded; enabled later → not', async () => {
    const { cookie, agent } = await recordingOrg({ composition: 'merged' });

    // Enabled at the start, disabled during the call: recorded, every file filed.
    const recorded = await callAnsweredAndEnded(agent, cookie);
    assert.deepEqual(await recordingRows(recorded), [
      'agent:failed:This leg carried no audio',
      'customer:failed:This leg carried no audio',
      'merged:failed:Neither leg carried audio',
    ]);

    // Disabled at the start, enabled during the call: not recorded.
    await agent.waitFor((s) => s.status === 'available');
    const unrecorded = await callAnsweredAndEnded(agent, cookie);
    assert.deepEqual(await recordingRows(unrecorded), []);
    assert.equal(
      await media.t.db.selectFrom('recording_session').select('id').where('call_id', '=', unrecorded).executeTakeFirst(),
      undefined,
    );
    agent.socket.close();
  });

  test('an agent’s own recording setting wins over the organisation’s: never for one, always for another', async () => {
    const { org, cookie, agent } = await recordingOrg({ composition: 'per_leg' });
    const [adaId = ''] = org.ids;
    await media.t.db.updateTable('agent').set({ recording_override: 'off' }).where('user_id', '=', adaId).execute();
    // callAnsweredAndEnded flips the organisation's setting during each call: here, off after the first start.
    const never = await callAnsweredAndEnded(agent, cookie);
    await agent.waitFor((s) => s.status === 'available');
    await media.t.db.updateTable('agent').set({ recording_override: 'inbound' }).where('user_id', '=', adaId).execute();
    const always = await callAnsweredAndEnded(agent, cookie);
    assert.deepEqual(
      await recordingRows(always),
      ['agent:failed:This leg carried no audio', 'customer:failed:This leg carried no audio'],
      'recording off for the organisation, on for Ada’s inbound calls',
    );
    // The first call's answer was handled long before the second call's files were filed.
    assert.equal(
      await media.t.db.selectFrom('recording_session').select('id').where('call_id', '=', never).executeTakeFirst(),
      undefined,
      'recording on for the organisation, off for Ada',
    );
    agent.socket.close();
  });

  test('a transferred call is recorded per agent segment: customer + first agent, then customer + second agent', async () => {
    const {
      org,
      cookie: adaCookie,
      agent: ada,
    } = await recordingOrg({ composition: 'merged' }, [{ name: 'Ada Agent' }, { name: 'Bob Agent', status: 'away' }]);
    const [adaId = '', bobId = ''] = org.ids;
    const bob = await AgentClient.connect(ctx(), await login(ctx(), org.emails[1] ?? ''));
    const { token } = await createLink(ctx(), adaCookie, { type: 'one_time', routing: 'routing_rules', identity: 'carol@example.test' });
    const customer = await CustomerClient.connect(ctx(), token);
    const { call } = await customer.start();
    await ada.waitFor((s) => s.call?.state === 'ringing');
    assert.ok((await ada.request('call:answer', { callId: call.callId })).ok);
    await ada.waitFor((s) => s.status === 'on_call');
    assert.ok((await bob.request('status:set', { status: 'available' })).ok);
    assert.ok((await ada.request('call:transfer', { callId: call.callId, to: { agentId: bobId } })).ok);
    await bob.waitFor((s) => s.call?.state === 'ringing');
    assert.ok((await bob.request('call:answer', { callId: call.callId })).ok);
    await bob.waitFor((s) => s.status === 'on_call');
    assert.ok((await customer.request('call:hangup', {})).ok);
    customer.socket.close();

    await recordingRows(call.callId, 2);
    const sessions = await media.t.db
      .selectFrom('recording_session')
      .select(['id', 'agent_id', 'state'])
      .where('call_id', '=', call.callId)
      .orderBy('started_at')
      .execute();
    assert.deepEqual(
      sessions.map((session) => [session.agent_id, session.state]),
      [
        [adaId, 'stopped'],
        [bobId, 'stopped'],
      ],
      'one recording per agent segment',
    );
    const files = await media.t.db
      .selectFrom('recording')
      .select(['session_id', 'agent_id', 'leg'])
      .where('call_id', '=', call.callId)
      .orderBy('leg')
      .execute();
    for (const [session, agentId] of [
      [sessions[0]?.id, adaId],
      [sessions[1]?.id, bobId],
    ]) {
      assert.deepEqual(
        files.filter((f) => f.session_id === session).map((f) => [f.leg, f.agent_id]),
        [
          ['agent', agentId],
          ['customer', agentId],
          ['merged', agentId],
        ],
      );
    }
    ada.socket.close();
    bob.socket.close();
  });

  test('recordings an instance left undone are taken up by another: never stopped, or stopped but never filed', async () => {
    const { org, cookie, agent } = await recordingOrg({ composition: 'per_leg' });
    const answered = async (identity: string) => {
      const { token } = await createLink(ctx(), cookie, { type: 'one_time', routing: 'routing_rules', identity });
      const customer = await CustomerClient.connect(ctx(), token);
      const { call } = await customer.start();
      await agent.waitFor((s) => s.call?.state === 'ringing');
      assert.ok((await agent.request('call:answer', { callId: call.callId })).ok);
      await agent.waitFor((s) => s.status === 'on_call');
      // The recording runs on the composer.
      for (
        let i = 0;
        i < 100 && !(await media.t.db.selectFrom('recording_session').select('id').where('call_id', '=', call.callId).executeTakeFirst());
        i++
      )
        await new Promise((resolve) => setTimeout(resolve, 20));
      // The instance that ran the call "dies" here: the call ended two minutes ago, and nobody told the recorder.
      await media.t.db
        .updateTable('call')
        .set({ state: 'ended', ended_at: new Date(Date.now() - 120_000) })
        .where('id', '=', call.callId)
        .execute();
      customer.socket.close();
      return call.callId;
    };
    const neverStopped = await answered('first@example.test');
    // The dead instance never freed Ada either: she is made available by hand for the next call.
    await media.t.db
      .updateTable('agent')
      .set({ status: 'available' })
      .where('user_id', '=', org.ids[0] ?? '')
      .execute();
    const neverFiled = await answered('second@example.test');
    // The second one's stop was claimed and its rows written, then the instance died before the composer answered.
    const session = await media.t.db
      .updateTable('recording_session')
      .set({ state: 'stopped', stopped_at: new Date(Date.now() - 600_000) })
      .where('call_id', '=', neverFiled)
      .returningAll()
      .executeTakeFirstOrThrow();
    const call = await media.t.db.selectFrom('call').select('conversation_id').where('id', '=', neverFiled).executeTakeFirstOrThrow();
    await media.t.db
      .insertInto('recording')
      .values(
        (['agent', 'customer'] as const).map((leg) => ({
          organisation_id: org.organisationId,
          session_id: session.id,
          call_id: neverFiled,
          conversation_id: call.conversation_id,
          agent_id: session.agent_id,
          leg,
          channel_layout: 'mono' as const,
          status: 'processing' as const,
          storage: 'local' as const,
        })),
      )
      .execute();

    // Another instance's sweep takes both up: each recording is stopped on the composer and filed.
    const other = callRecorder(config, media.t.db, systemClock, createLogger('warn'));
    assert.ok(other);
    assert.deepEqual(await other.sweep(), { stopped: 1, refiled: 1 });
    for (const callId of [neverStopped, neverFiled]) {
      assert.deepEqual(await recordingRows(callId), [
        'agent:failed:This leg carried no audio',
        'customer:failed:This leg carried no audio',
      ]);
    }
    assert.deepEqual(await other.sweep(), { stopped: 0, refiled: 0 }, 'nothing is left to take up');
    agent.socket.close();
  });

  test('a voicemail records the customer leg alone, kept on local disk even where calls are not recorded', async () => {
    const org = await seed(ctx(), { agents: [{ name: 'Sam Supervisor', role: 'supervisor' }] });
    const cookie = await login(ctx(), org.emails[0] ?? '');
    await media.t.db.insertInto('working_hours').values({ queue_id: org.defaultQueueId, enabled: true, weekly: '[]' }).execute();
    await media.t.db
      .insertInto('response_code')
      .values({ queue_id: org.defaultQueueId, context: 'away', digit: '3', action: 'voicemail' })
      .execute();
    await media.t.db.insertInto('waiting_strategy').values({ queue_id: org.defaultQueueId, digit_wait_seconds: 20 }).execute();
    const { token } = await createLink(ctx(), cookie, { type: 'one_time', routing: 'routing_rules', identity: '+44 20 7946 0444' });
    const customer = await CustomerClient.connect(ctx(), token);
    const { call } = await customer.start();
    assert.ok((await customer.request('call:digit', { digit: '3' })).ok);
    await customer.waitFor((view) => view.endReason === 'voicemail');
    assert.ok((await customer.request('call:hangup', {})).ok);
    customer.socket.close();
    // The Socket.IO customer sends no audio: the one leg is filed, as failed.
    assert.deepEqual(await recordingRows(call.callId), ['customer:failed:This leg carried no audio']);
    const row = await media.t.db
      .selectFrom('recording')
      .select(['kind', 'agent_id', 'storage'])
      .where('call_id', '=', call.callId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { kind: 'voicemail', agent_id: null, storage: 'local' });
  });

  test("a video call with audio_and_video asks for both legs' video, filed as WebM leg files and the side-by-side composite", async () => {
    const { cookie, agent } = await recordingOrg({ composition: 'merged', video_mode: 'audio_and_video' });
    const callId = await callAnsweredAndEnded(agent, cookie, 'video');
    // No media flows here; the composer was asked for video legs, so the composite is filed (and fails) too.
    assert.deepEqual(await recordingRows(callId), [
      'agent:failed:This leg carried neither audio nor video',
      'composite:failed:Neither leg carried media',
      'customer:failed:This leg carried neither audio nor video',
      'merged:failed:Neither leg carried audio',
    ]);
    const containers = await media.t.db
      .selectFrom('recording')
      .select(['leg', 'container'])
      .where('call_id', '=', callId)
      .orderBy('leg')
      .execute();
    assert.deepEqual(
      containers.map((r) => `${r.leg}:${r.container}`),
      ['agent:webm', 'composite:webm', 'customer:webm', 'merged:ogg'],
    );
    agent.socket.close();
  });
});
