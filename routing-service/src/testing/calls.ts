/** Calls inserted directly, as the engine would have left them, to build a known state in tests. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, NewCall } from '@cc/migrations';

type CallFields = Omit<NewCall, 'id' | 'organisation_id' | 'conversation_id' | 'queue_id' | 'media' | 'room_id'>;

/** A call (queued, unless `state` says otherwise) in its own new conversation; returns its id. */
export async function insertCall(
  db: Kysely<Database>,
  call: { organisationId: string; queueId: string; customerIdentity?: string } & CallFields,
): Promise<string> {
  const { organisationId, queueId, customerIdentity, ...fields } = call;
  const conversation = await db
    .insertInto('conversation')
    .values({ organisation_id: organisationId, customer_identity: customerIdentity ?? `caller-${randomUUID()}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = randomUUID();
  await db
    .insertInto('call')
    .values({
      ...fields,
      id,
      organisation_id: organisationId,
      conversation_id: conversation.id,
      queue_id: queueId,
      media: 'audio',
      room_id: id,
    })
    .execute();
  return id;
}
