/**
 * The callback list (SPEC §10, listing part): callback requests callers filed with a key, and
 * the voicemails they left (SPEC §9), newest first, each with the caller's identity (and the
 * matching contact's name) and, for a voicemail, its file. Agents see their queues' requests;
 * supervisors and admins the whole organisation's.
 */
import type { Kysely } from 'kysely';
import type { CallbackRequestView, CallbacksQuery, RecordingSummary } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { summaries, toSummary, type RecordingViewer } from '../recording/recordings.ts';

export async function listCallbackRequests(
  db: Kysely<Database>,
  viewer: RecordingViewer,
  query: CallbacksQuery,
): Promise<CallbackRequestView[]> {
  let select = db
    .selectFrom('callback_request as cr')
    .leftJoin('queue as q', 'q.id', 'cr.queue_id')
    .innerJoin('conversation as conv', 'conv.id', 'cr.conversation_id')
    .leftJoin('contact as ct', 'ct.id', 'conv.contact_id')
    .leftJoin('call as c', 'c.id', 'cr.call_id')
    .select([
      'cr.id',
      'cr.status',
      'cr.queue_id',
      'q.name as queue_name',
      'cr.conversation_id',
      'cr.call_id',
      'cr.customer_identity',
      'ct.name as contact_name',
      'cr.created_at',
      'cr.voicemail_session_id',
      'c.state as call_state',
      'c.end_reason',
    ])
    .where('cr.organisation_id', '=', viewer.organisationId);
  if (viewer.role === 'agent') {
    select = select.where('cr.queue_id', 'in', db.selectFrom('queue_member').select('queue_id').where('agent_id', '=', viewer.id));
  }
  if (query.status) select = select.where('cr.status', '=', query.status);
  if (query.queueId) select = select.where('cr.queue_id', '=', query.queueId);
  if (query.kind) select = select.where('cr.voicemail_session_id', query.kind === 'voicemail' ? 'is not' : 'is', null);
  const rows = await select.orderBy('cr.created_at', 'desc').orderBy('cr.id').limit(query.limit).execute();

  const sessions = rows.flatMap((row) => (row.voicemail_session_id ? [row.voicemail_session_id] : []));
  const files = new Map<string, RecordingSummary>();
  if (sessions.length > 0) {
    const recordings = await summaries(db, viewer)
      .select('r.session_id')
      .where('r.session_id', 'in', sessions)
      .where('r.leg', '=', 'customer')
      .execute();
    for (const recording of recordings) files.set(recording.session_id, toSummary(recording, viewer));
  }
  return rows.map((row) => ({
    id: row.id,
    kind: row.voicemail_session_id ? 'voicemail' : 'callback',
    status: row.status,
    queueId: row.queue_id,
    queueName: row.queue_name,
    conversationId: row.conversation_id,
    callId: row.call_id,
    customerIdentity: row.customer_identity,
    contactName: row.contact_name,
    createdAt: row.created_at.toISOString(),
    recordingInProgress: row.voicemail_session_id !== null && row.call_state === 'queued' && row.end_reason === 'voicemail',
    voicemail: row.voicemail_session_id ? (files.get(row.voicemail_session_id) ?? null) : null,
  }));
}
