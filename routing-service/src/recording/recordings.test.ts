/**
 * SPEC §13 recordings in the desktop's API: agents list and fetch only their own recordings and
 * cannot delete; a supervisor's deletion removes the file from its storage for good and leaves
 * an audit record; the retention job deletes old recordings the same way, once, and audit
 * records expire after the retention period.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, RecordingDeletionRecord, RecordingSummary } from '@cc/contracts';
import { openStore } from '@cc/recording-composer/storage';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startRoutingService, type RoutingService } from '../server.ts';
import { insertCall } from '../testing/calls.ts';
import { api, login, seed, startTestMedia } from '../testing/context.ts';
import { sweepRetention } from './retention.ts';

let media: Awaited<ReturnType<typeof startTestMedia>>;
let service: RoutingService;
let dir: string;
before(async () => {
  media = await startTestMedia();
  dir = await mkdtemp(path.join(os.tmpdir(), 'recordings-api-'));
  service = await startRoutingService({
    config: loadConfig({ ...media.env, PORT: '0', RECORDINGS_DIR: dir }),
    db: media.t.db,
    logger: createLogger('warn'),
  });
});
after(async () => {
  await service.close();
  await media.sfu.close();
  await media.t.drop();
  await rm(dir, { recursive: true, force: true });
});

const ctx = () => ({ t: media.t, url: service.url });
type Err = { error: ErrorBody };

/** A recorded call of `agentId`: a merged file stored on local disk (`ready`) and a leg still `processing`. */
async function recordedCall(org: { organisationId: string; defaultQueueId: string }, agentId: string, createdAt = new Date()) {
  const db = media.t.db;
  const callId = await insertCall(db, {
    organisationId: org.organisationId,
    queueId: org.defaultQueueId,
    state: 'ended',
    agent_id: agentId,
  });
  const call = await db.selectFrom('call').select('conversation_id').where('id', '=', callId).executeTakeFirstOrThrow();
  const sessionId = randomUUID();
  await db
    .insertInto('recording_session')
    .values({
      id: sessionId,
      organisation_id: org.organisationId,
      call_id: callId,
      agent_id: agentId,
      state: 'stopped',
      started_at: createdAt,
    })
    .execute();
  const fileName = `${call.conversation_id}_merged.opus`;
  await writeFile(path.join(dir, fileName), 'OggS recorded audio');
  const common = {
    organisation_id: org.organisationId,
    session_id: sessionId,
    call_id: callId,
    conversation_id: call.conversation_id,
    agent_id: agentId,
    storage: 'local' as const,
    created_at: createdAt,
  };
  const metadata = {
    fileName,
    conversationId: call.conversation_id,
    callId,
    agentName: 'Alex "The Agent", Jr.',
    endUser: 'Grace Hopper +44 20 7946 0958',
    leg: 'merged' as const,
    channelLayout: 'stereo_agent_left_customer_right' as const,
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T10:01:00.000Z',
    durationMs: 60_000,
  };
  const merged = await db
    .insertInto('recording')
    .values({
      ...common,
      leg: 'merged',
      channel_layout: 'stereo_agent_left_customer_right',
      status: 'ready',
      file_name: fileName,
      metadata,
      bytes: 19,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const leg = await db
    .insertInto('recording')
    .values({ ...common, leg: 'agent', channel_layout: 'mono', status: 'processing' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { callId, conversationId: call.conversation_id, fileName, mergedId: merged.id, legId: leg.id };
}

describe('recordings API (SPEC §13)', () => {
  test('a file the storage keeps refusing says why to supervisors while it is retried; agents only see "being processed"', async () => {
    const org = await seed(ctx(), { agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Alex' }] });
    const [, alexId = ''] = org.ids;
    const [supervisorEmail = '', alexEmail = ''] = org.emails;
    const call = await recordedCall(org, alexId);
    const leg = await media.t.db.selectFrom('recording').select(['session_id']).where('id', '=', call.legId).executeTakeFirstOrThrow();
    await media.t.db
      .insertInto('recording_upload')
      .values({
        organisation_id: org.organisationId,
        session_id: leg.session_id,
        leg: 'agent',
        storage: 'sftp',
        file_name: 'x_agent.opus',
        node: 'test',
        spool_path: '/nowhere',
        metadata: {
          fileName: 'x_agent.opus',
          conversationId: call.conversationId,
          callId: call.callId,
          agentName: 'Alex',
          endUser: 'Grace Hopper',
          leg: 'agent',
          channelLayout: 'mono',
          startedAt: '2026-11-25T10:00:00.000Z',
          endedAt: '2026-11-25T10:01:00.000Z',
          durationMs: 60_000,
        },
        attempts: 3,
        run_at: new Date(),
        last_error: 'SFTP host key does not match the configured one',
      })
      .execute();
    const seen = async (cookie: string) =>
      (await api<RecordingSummary[]>(ctx(), cookie, 'GET', `/recordings?callId=${call.callId}`)).body.find((r) => r.id === call.legId)
        ?.uploadProblem;
    assert.deepEqual(await seen(await login(ctx(), supervisorEmail)), {
      message: 'SFTP host key does not match the configured one',
      attempts: 3,
    });
    assert.equal(await seen(await login(ctx(), alexEmail)), null);
    // The other tests count the files on disk and the rows.
    await rm(path.join(dir, call.fileName));
    await media.t.db.deleteFrom('recording_upload').where('session_id', '=', leg.session_id).execute();
    await media.t.db.deleteFrom('recording').where('call_id', '=', call.callId).execute();
  });

  test('agents see, play and download only their own; they cannot delete; a supervisor deletes for good with an audit record', async () => {
    const org = await seed(ctx(), { agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Alex' }, { name: 'Blake' }] });
    const [supervisorId = '', alexId = '', blakeId = ''] = org.ids;
    const [supervisorEmail = '', alexEmail = '', blakeEmail = ''] = org.emails;
    const [supervisor, alex, blake] = [await login(ctx(), supervisorEmail), await login(ctx(), alexEmail), await login(ctx(), blakeEmail)];
    const mine = await recordedCall(org, alexId);
    const theirs = await recordedCall(org, blakeId);

    // Listing: Alex sees his two files, merged first; a filter on Blake's conversation gives nothing.
    const list = await api<RecordingSummary[]>(ctx(), alex, 'GET', '/recordings');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.map((r) => [r.id, r.status]),
      [
        [mine.mergedId, 'ready'],
        [mine.legId, 'processing'],
      ],
    );
    assert.deepEqual((await api<RecordingSummary[]>(ctx(), alex, 'GET', `/recordings?conversationId=${theirs.conversationId}`)).body, []);
    assert.deepEqual(
      (await api<RecordingSummary[]>(ctx(), blake, 'GET', '/recordings')).body.map((r) => r.id),
      [theirs.mergedId, theirs.legId],
    );
    assert.equal((await api<RecordingSummary[]>(ctx(), supervisor, 'GET', '/recordings')).body.length, 4, 'a supervisor sees all');
    assert.equal((await api<RecordingSummary[]>(ctx(), supervisor, 'GET', `/recordings?agentId=${blakeId}`)).body.length, 2);
    assert.equal((await api<Err>(ctx(), alex, 'GET', '/recordings?limit=0')).status, 400);

    // Fetching: his own file and its .csv; Blake's by id is "not found" and reveals nothing.
    const file = await fetch(`${service.url}/api/recordings/${mine.mergedId}/file?download=1`, { headers: { cookie: alex } });
    assert.equal(file.status, 200);
    assert.match(file.headers.get('content-type') ?? '', /^audio\/ogg/);
    assert.match(file.headers.get('content-disposition') ?? '', /^attachment;/);
    assert.equal(await file.text(), 'OggS recorded audio');
    // Players seek with byte ranges.
    const part = await fetch(`${service.url}/api/recordings/${mine.mergedId}/file`, { headers: { cookie: alex, range: 'bytes=5-12' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 5-12/19');
    assert.equal(await part.text(), 'recorded');
    const tail = await fetch(`${service.url}/api/recordings/${mine.mergedId}/file`, { headers: { cookie: alex, range: 'bytes=-5' } });
    assert.equal(await tail.text(), 'audio');
    const beyond = await fetch(`${service.url}/api/recordings/${mine.mergedId}/file`, { headers: { cookie: alex, range: 'bytes=19-' } });
    assert.equal(beyond.status, 416);
    const csv = await fetch(`${service.url}/api/recordings/${mine.mergedId}/metadata.csv`, { headers: { cookie: alex } });
    assert.equal(csv.status, 200);
    const [header, row] = (await csv.text()).split('\r\n');
    assert.equal(header, 'file_name,agent_name,end_user,conversation_id,call_id,leg,channel_layout,start_utc,end_utc,duration_ms');
    assert.ok(row?.includes('"Alex ""The Agent"", Jr."') && row.includes('2026-11-25T10:00:00.000Z'), row);
    assert.equal((await api<Err>(ctx(), alex, 'GET', `/recordings/${mine.legId}/file`)).status, 409, 'being processed');
    for (const url of [`/recordings/${theirs.mergedId}/file`, `/recordings/${theirs.mergedId}/metadata.csv`]) {
      assert.equal((await api<Err>(ctx(), alex, 'GET', url)).status, 404, url);
    }

    // Deleting: agents cannot, not even their own; nothing changes.
    for (const id of [mine.mergedId, theirs.mergedId]) {
      assert.equal((await api<Err>(ctx(), alex, 'DELETE', `/recordings/${id}`)).status, 403);
    }
    assert.deepEqual((await readdir(dir)).sort(), [mine.fileName, theirs.fileName].sort());
    assert.equal((await media.t.db.selectFrom('recording').select('id').execute()).length, 4);

    const deleted = await api<RecordingDeletionRecord>(ctx(), supervisor, 'DELETE', `/recordings/${theirs.mergedId}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deletedBy, supervisorId);
    assert.equal(deleted.body.deletedByName, 'Sam Supervisor');
    assert.equal(deleted.body.fileName, theirs.fileName);
    await assert.rejects(access(path.join(dir, theirs.fileName)), 'the file is gone from the storage');
    assert.equal((await api<Err>(ctx(), supervisor, 'GET', `/recordings/${theirs.mergedId}/file`)).status, 404);
    assert.equal((await api<Err>(ctx(), supervisor, 'DELETE', `/recordings/${theirs.mergedId}`)).status, 404);
    const audit = await media.t.db.selectFrom('recording_deletion').selectAll().where('recording_id', '=', theirs.mergedId).execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.reason, 'supervisor');
    const days = ((audit[0]?.expires_at.getTime() ?? 0) - (audit[0]?.deleted_at.getTime() ?? 0)) / 86_400_000;
    assert.equal(Math.round(days), 90, 'the audit record lasts the retention period');
  });

  test('retention: recordings older than the period are deleted once, with an audit record; expired audit records go', async () => {
    const org = await seed(ctx(), { agents: [{ name: 'Casey' }] });
    await media.t.db.insertInto('recording_configuration').values({ organisation_id: org.organisationId, retention_days: 30 }).execute();
    const now = new Date();
    const old = await recordedCall(org, org.ids[0] ?? '', new Date(now.getTime() - 31 * 86_400_000));
    const recent = await recordedCall(org, org.ids[0] ?? '', new Date(now.getTime() - 29 * 86_400_000));
    const deps = {
      db: media.t.db,
      openStore: (organisationId: string, storage: 'local' | 's3' | 'sftp') => openStore(media.t.db, organisationId, storage, dir),
      now: () => now,
    };
    const logger = createLogger('silent');
    // Two instances at once: one sweeps (the other finds the lock taken or nothing left).
    const runs = await Promise.all([sweepRetention(deps, logger), sweepRetention(deps, logger)]);
    assert.equal(
      runs.reduce((sum, run) => sum + (run?.deleted ?? 0), 0),
      1,
      `runs ${JSON.stringify(runs)}`,
    );
    const left = await media.t.db.selectFrom('recording').select('id').where('organisation_id', '=', org.organisationId).execute();
    assert.deepEqual(left.map((r) => r.id).sort(), [old.legId, recent.mergedId, recent.legId].sort(), 'a file still processing waits');
    await assert.rejects(access(path.join(dir, old.fileName)));
    await access(path.join(dir, recent.fileName));
    const audit = await media.t.db.selectFrom('recording_deletion').selectAll().where('organisation_id', '=', org.organisationId).execute();
    assert.deepEqual(
      audit.map((a) => [a.recording_id, a.reason, a.deleted_by]),
      [[old.mergedId, 'retention', null]],
    );

    // The audit record itself expires after the retention period.
    const later = { ...deps, now: () => new Date(now.getTime() + 31 * 86_400_000) };
    const expired = await sweepRetention(later, logger);
    assert.equal(expired?.auditsExpired, 1);
  });
});
