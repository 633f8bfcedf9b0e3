import { sql, type Kysely } from 'kysely';

/**
 * Voicemail (SPEC §9): a response code may let the caller leave a message instead of waiting
 * (or when the center is closed). The message is the customer's leg recorded by the recording
 * composer, a recording session of kind `voicemail` without an agent, and it lands in the
 * callback list: the callback request points at the session whose file is the message.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The first step allowed only 'callback'; the constraint is PostgreSQL's default name for it.
  await sql`alter table response_code drop constraint response_code_action_check`.execute(db);
  await sql`alter table response_code add constraint response_code_action_check check (action in ('callback', 'voicemail'))`.execute(db);

  await db.schema
    .alterTable('waiting_strategy')
    /** Said before the tone ("Please leave a message after the tone"); null: the tone alone. */
    .addColumn('voicemail_prompt_id', 'uuid', (c) => c.references('prompt.id'))
    /** The longest message, in seconds, after the tone. */
    .addColumn('voicemail_max_seconds', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(120)
        .check(sql`voicemail_max_seconds between 10 and 600`),
    )
    .execute();

  for (const table of ['recording_session', 'recording']) {
    await db.schema
      .alterTable(table)
      /** `call`: an agent segment of a call; `voicemail`: a caller's message (no agent). */
      .addColumn('kind', 'text', (c) =>
        c
          .notNull()
          .defaultTo('call')
          .check(sql`kind in ('call', 'voicemail')`),
      )
      .execute();
  }

  await db.schema
    .alterTable('callback_request')
    /** The voicemail the caller left with this request, if any. */
    .addColumn('voicemail_session_id', 'uuid', (c) => c.references('recording_session.id').onDelete('set null'))
    .execute();
  // The callback list of a queue (agents see their queues' requests), newest first.
  await db.schema.createIndex('callback_request_queue_idx').on('callback_request').columns(['queue_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('callback_request_queue_idx').execute();
  await db.schema.alterTable('callback_request').dropColumn('voicemail_session_id').execute();
  for (const table of ['recording', 'recording_session']) await db.schema.alterTable(table).dropColumn('kind').execute();
  await db.schema.alterTable('waiting_strategy').dropColumn('voicemail_prompt_id').dropColumn('voicemail_max_seconds').execute();
  await sql`delete from response_code where action = 'voicemail'`.execute(db);
  await sql`alter table response_code drop constraint response_code_action_check`.execute(db);
  await sql`alter table response_code add constraint response_code_action_check check (action in ('callback'))`.execute(db);
}
