/** Callback requests (SPEC §10) as the engine files them: from a response code, or with a voicemail. */
import type { Call } from '@cc/migrations';
import type { Trx } from './db.ts';

/** Files a callback request (`in_queue`) for the call's customer, with the voicemail session they are leaving, if any. */
export async function fileCallbackRequest(trx: Trx, call: Call, voicemailSessionId: string | null): Promise<void> {
  const { customer_identity } = await trx
    .selectFrom('conversation')
    .select('customer_identity')
    .where('id', '=', call.conversation_id)
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('callback_request')
    .values({
      organisation_id: call.organisation_id,
      queue_id: call.queue_id,
      conversation_id: call.conversation_id,
      call_id: call.id,
      customer_identity,
      voicemail_session_id: voicemailSessionId,
    })
    .execute();
}
