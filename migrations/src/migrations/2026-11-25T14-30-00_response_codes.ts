import { sql, type Kysely } from 'kysely';

/**
 * Response codes (SPEC §8): a digit the customer presses during a queue's announcement or its
 * away message triggers an action; `digit_wait_seconds` is how long the away message waits
 * for one before the call ends. The `callback` action files a callback request (handled by a
 * later part of the product; SPEC §10 statuses).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('waiting_strategy')
    .addColumn('digit_wait_seconds', 'integer', (c) => c.notNull().defaultTo(5))
    .execute();
  await db.schema
    .createTable('response_code')
    .addColumn('queue_id', 'uuid', (c) => c.notNull().references('queue.id').onDelete('cascade'))
    .addColumn('context', 'text', (c) => c.notNull().check(sql`context in ('announcement', 'away')`))
    .addColumn('digit', 'text', (c) => c.notNull().check(sql`digit ~ '^[0-9*#]$'`))
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('callback')`))
    .addPrimaryKeyConstraint('response_code_pkey', ['queue_id', 'context', 'digit'])
    .execute();
  await db.schema
    .createTable('callback_request')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('queue_id', 'uuid', (c) => c.references('queue.id').onDelete('set null'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversation.id').onDelete('cascade'))
    .addColumn('call_id', 'uuid', (c) => c.references('call.id').onDelete('set null'))
    .addColumn('customer_identity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('in_queue')
        .check(sql`status in ('in_queue', 'assigned', 'active', 'no_reply', 'done')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The callback list of an organisation, by status, oldest first.
  await db.schema
    .createIndex('callback_request_list_idx')
    .on('callback_request')
    .columns(['organisation_id', 'status', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('callback_request').execute();
  await db.schema.dropTable('response_code').execute();
  await db.schema.alterTable('waiting_strategy').dropColumn('digit_wait_seconds').execute();
}
