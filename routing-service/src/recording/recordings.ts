/**
 * Recordings for the desktop (SPEC §13): lists, the stored file and its metadata, deletion.
 * Scoped to one organisation; an agent sees only their own recordings and the voicemails left in
 * their queues (a recording of another agent is "not found", never "forbidden", so ids reveal
 * nothing). Deleting removes the file
 * from its storage for good and leaves an audit record (who, when, which file) that expires
 * with the organisation's retention period.
 */
import type { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { RecordingDeletionRecord, RecordingStorage, RecordingSummary, RecordingsQuery, SessionUser } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { ByteRange, RecordingStore } from '@cc/recording-composer/storage';
import { AppError, notFound } from '../errors.ts';

export type RecordingViewer = Pick<SessionUser, 'id' | 'organisationId' | 'role'>;

export interface RecordingsDeps {
  db: Kysely<Database>;
  openStore: (organisationId: string, storage: RecordingStorage) => Promise<RecordingStore>;
  now: () => Date;
}

export function summaries(db: Kysely<Database>, viewer: RecordingViewer) {
  let select = db
    .selectFrom('recording as r')
    .innerJoin('call as c', 'c.id', 'r.call_id')
    .leftJoin('user_account as u', 'u.id', 'r.agent_id')
    .leftJoin('queue as q', 'q.id', 'c.queue_id')
    .innerJoin('conversation as conv', 'conv.id', 'r.conversation_id')
    // While the file waits for its storage: why the last upload attempt failed (it is retried).
    .leftJoin('recording_upload as up', (join) =>
      join.onRef('up.session_id', '=', 'r.session_id').onRef('up.leg', '=', 'r.leg').on('up.state', '=', 'pending'),
    )
    .select([
      'up.last_error as upload_error',
      'up.attempts as upload_attempts',
      'r.kind',
      'conv.customer_identity',
      'r.id',
      'r.organisation_id',
      'r.call_id',
      'r.conversation_id',
      'r.agent_id',
      'u.name as agent_name',
      'q.name as queue_name',
      'r.leg',
      'r.channel_layout',
      'r.container',
      'r.status',
      'r.storage',
      'r.file_name',
      'r.started_at',
      'r.ended_at',
      'r.duration_ms',
      'r.bytes',
      'r.error',
      'r.metadata',
      'r.created_at',
    ])
    .where('r.organisation_id', '=', viewer.organisationId);
  if (viewer.role === 'agent') {
    // Their own calls, and the voicemails left in their queues (nobody's own: the queue's agents call back).
    select = select.where((eb) =>
      eb.or([
        eb('r.agent_id', '=', viewer.id),
        eb.and([
          eb('r.kind', '=', 'voicemail'),
          eb('c.queue_id', 'in', eb.selectFrom('queue_member').select('queue_id').where('agent_id', '=', viewer.id)),
        ]),
      ]),
    );
  }
  return select;
}

type Row = Awaited<ReturnType<ReturnType<typeof summaries>['executeTakeFirstOrThrow']>>;

/** A row as lists show it; why an upload is being retried is for supervisors (it names the storage's host). */
export function toSummary(row: Row, viewer: RecordingViewer): RecordingSummary {
  return {
    id: row.id,
    callId: row.call_id,
    conversationId: row.conversation_id,
    agentId: row.agent_id,
    agentName: row.agent_name,
    queueName: row.queue_name,
    leg: row.leg,
    channelLayout: row.channel_layout,
    container: row.container,
    status: row.status,
    fileName: row.file_name,
    startedAt: row.started_at?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
    durationMs: row.duration_ms,
    bytes: row.bytes === null ? null : Number(row.bytes),
    error: row.error,
    createdAt: row.created_at.toISOString(),
    kind: row.kind,
    customerIdentity: row.customer_identity,
    uploadProblem:
      row.status === 'processing' && row.upload_error !== null && viewer.role !== 'agent'
        ? { message: row.upload_error, attempts: row.upload_attempts ?? 0 }
        : null,
  };
}

export async function listRecordings(db: Kysely<Database>, viewer: RecordingViewer, query: RecordingsQuery): Promise<RecordingSummary[]> {
  let select = summaries(db, viewer);
  if (query.conversationId) select = select.where('r.conversation_id', '=', query.conversationId);
  if (query.callId) select = select.where('r.call_id', '=', query.callId);
  if (query.agentId) select = select.where('r.agent_id', '=', query.agentId);
  if (query.queueId) select = select.where('c.queue_id', '=', query.queueId);
  if (query.from) select = select.where('r.created_at', '>=', new Date(query.from));
  if (query.to) select = select.where('r.created_at', '<', new Date(query.to));
  // The merged file first within a call: it is the one people play.
  const rows = await select
    .orderBy('r.created_at', 'desc')
    // The side-by-side video first, then the stereo audio, then the leg files.
    .orderBy(sql`r.leg = 'composite'`, 'desc')
    .orderBy(sql`r.leg = 'merged'`, 'desc')
    .orderBy('r.leg')
    .limit(query.limit)
    .execute();
  return rows.map((row) => toSummary(row, viewer));
}

async function visible(db: Kysely<Database>, viewer: RecordingViewer, id: string): Promise<Row> {
  const row = await summaries(db, viewer).where('r.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Recording');
  return row;
}

function requireReady(row: Row): { fileName: string } {
  if (row.status === 'processing') throw new AppError('conflict', 'The recording is being processed');
  if (row.status !== 'ready' || row.file_name === null) throw new AppError('not_found', 'No recording available');
  return { fileName: row.file_name };
}

/**
 * The stored file, streamed from its storage: whole, or the byte range `rangeFor` picks once
 * the file's size is known (players seek with ranges).
 */
export async function recordingFile(
  deps: RecordingsDeps,
  viewer: RecordingViewer,
  id: string,
  rangeFor: (size: number | null) => ByteRange | undefined,
): Promise<{ summary: RecordingSummary; stream: Readable; range: ByteRange | undefined }> {
  const row = await visible(deps.db, viewer, id);
  const { fileName } = requireReady(row);
  const summary = toSummary(row, viewer);
  const range = rangeFor(summary.bytes);
  const store = await deps.openStore(row.organisation_id, row.storage);
  try {
    return { summary, stream: await store.read(fileName, range), range };
  } finally {
    await store.close();
  }
}

/** The file's metadata (the `.csv` of a download). */
export async function recordingMetadata(deps: RecordingsDeps, viewer: RecordingViewer, id: string) {
  const row = await visible(deps.db, viewer, id);
  const { fileName } = requireReady(row);
  if (!row.metadata) throw new AppError('not_found', 'No recording available');
  return { fileName, metadata: row.metadata };
}

/**
 * Deletes one file for good: from its storage first (a failure leaves everything as it was, and
 * deleting again is safe), then its row, with the audit record in the same transaction.
 */
export async function deleteRecording(
  deps: RecordingsDeps,
  actor: { id: string; organisationId: string; role: SessionUser['role'] } | null,
  organisationId: string,
  id: string,
): Promise<RecordingDeletionRecord> {
  const viewer: RecordingViewer = actor ?? { id: '', organisationId, role: 'admin' };
  const row = await visible(deps.db, viewer, id);
  if (row.status === 'processing') throw new AppError('conflict', 'The recording is being processed: delete it once it is ready');
  if (row.status === 'ready' && row.file_name !== null) {
    const store = await deps.openStore(row.organisation_id, row.storage);
    try {
      await store.delete(row.file_name);
    } finally {
      await store.close();
    }
  }
  const now = deps.now();
  return deps.db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('recording').where('id', '=', row.id).returning('id').executeTakeFirst();
    // Deleted meanwhile by someone else (or the retention job): their audit record stands.
    if (!gone) throw notFound('Recording');
    const retention = await trx
      .selectFrom('recording_configuration')
      .select('retention_days')
      .where('organisation_id', '=', row.organisation_id)
      .executeTakeFirst();
    const by = actor ? await trx.selectFrom('user_account').select('name').where('id', '=', actor.id).executeTakeFirst() : undefined;
    const record = await trx
      .insertInto('recording_deletion')
      .values({
        organisation_id: row.organisation_id,
        recording_id: row.id,
        file_name: row.file_name,
        conversation_id: row.conversation_id,
        call_id: row.call_id,
        deleted_by: actor?.id ?? null,
        deleted_by_name: by?.name ?? null,
        reason: actor ? 'supervisor' : 'retention',
        deleted_at: now,
        expires_at: new Date(now.getTime() + (retention?.retention_days ?? 90) * 86_400_000),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return {
      recordingId: record.recording_id,
      fileName: record.file_name,
      conversationId: record.conversation_id,
      callId: record.call_id,
      deletedBy: record.deleted_by,
      deletedByName: record.deleted_by_name,
      reason: record.reason,
      deletedAt: record.deleted_at.toISOString(),
    };
  });
}
