import { sql, type Kysely } from 'kysely';

/**
 * The call path: organisations, people, queues, conversations, calls with their timeline,
 * call links and durable timers. Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('organisation')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('brand_colour', 'text', (c) => c.notNull().defaultTo('#1f6feb'))
    .addColumn('ring_timeout_seconds', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(30)
        .check(sql`ring_timeout_seconds between 3 and 60`),
    )
    .addColumn('wrap_up_seconds', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(30)
        .check(sql`wrap_up_seconds between 0 and 3600`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('user_account')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('agent', 'supervisor', 'admin')`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Login looks a user up by e-mail, case-insensitively; an e-mail is one person everywhere.
  await sql`create unique index user_account_email_idx on user_account (lower(email))`.execute(db);

  await db.schema
    .createTable('user_session')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('user_account.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('agent')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('user_account.id').onDelete('cascade'))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('offline')
        .check(sql`status in ('available', 'busy', 'away', 'offline', 'ringing', 'on_call', 'on_hold', 'wrap_up')`),
    )
    .addColumn('status_reason', 'text')
    .addColumn('status_since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('capacity', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(5)
        .check(sql`capacity between 1 and 100`),
    )
    .addColumn('wrap_up_seconds', 'integer', (c) => c.check(sql`wrap_up_seconds between 0 and 3600`))
    .addColumn('idle_since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Assignment looks for available agents of an organisation.
  await db.schema.createIndex('agent_org_status_idx').on('agent').columns(['organisation_id', 'status']).execute();

  await db.schema
    .createTable('agent_status_event')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('agent_id', 'uuid', (c) => c.notNull().references('agent.user_id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Reports read one agent's status history by time.
  await db.schema.createIndex('agent_status_event_agent_at_idx').on('agent_status_event').columns(['agent_id', 'at']).execute();

  await db.schema
    .createTable('queue')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('aaa_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('strategy', 'text', (c) =>
      c
        .notNull()
        .defaultTo('longest_idle')
        .check(sql`strategy in ('longest_idle', 'least_occupied', 'round_robin', 'ring_all', 'priority_then_longest_idle')`),
    )
    .addColumn('missed_call_away', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('queue_org_name_unique', ['organisation_id', 'name'])
    .execute();
  // One Default queue per organisation: calls land there unless told otherwise.
  await sql`create unique index queue_one_default_idx on queue (organisation_id) where is_default`.execute(db);

  await db.schema
    .createTable('queue_member')
    .addColumn('queue_id', 'uuid', (c) => c.notNull().references('queue.id').onDelete('cascade'))
    .addColumn('agent_id', 'uuid', (c) => c.notNull().references('agent.user_id').onDelete('cascade'))
    .addColumn('priority', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(1)
        .check(sql`priority between 1 and 10`),
    )
    .addPrimaryKeyConstraint('queue_member_pk', ['queue_id', 'agent_id'])
    .execute();
  // The agent desktop lists the queues of one agent.
  await db.schema.createIndex('queue_member_agent_idx').on('queue_member').column('agent_id').execute();

  await db.schema
    .createTable('contact')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone_numbers', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('email', 'text')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Caller identification matches a number against any of a contact's numbers.
  await sql`create index contact_phone_numbers_idx on contact using gin (phone_numbers)`.execute(db);
  // Caller identification by e-mail.
  await sql`create index contact_email_idx on contact (organisation_id, lower(email))`.execute(db);

  await db.schema
    .createTable('conversation')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('customer_identity', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'uuid', (c) => c.references('contact.id').onDelete('set null'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'waiting', 'solved', 'closed')`),
    )
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('rating', 'integer', (c) => c.check(sql`rating between 1 and 5`))
    /** The agent the conversation is with; counts against that agent's capacity while not closed. */
    .addColumn('agent_id', 'uuid', (c) => c.references('agent.user_id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // A new call from the same customer joins their conversation unless it is closed.
  await db.schema
    .createIndex('conversation_customer_idx')
    .on('conversation')
    .columns(['organisation_id', 'customer_identity', 'status'])
    .execute();
  // Capacity: count of an agent's conversations that are not closed.
  await sql`create index conversation_agent_open_idx on conversation (agent_id) where status <> 'closed'`.execute(db);

  await db.schema
    .createTable('call_link')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    /** SHA-256 of the token: a database leak does not leak usable links. */
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('one_time', 'time_frame', 'expiring')`))
    .addColumn('routing', 'text', (c) => c.notNull().check(sql`routing in ('to_sharing_agent', 'routing_rules')`))
    .addColumn('queue_id', 'uuid', (c) => c.references('queue.id').onDelete('set null'))
    .addColumn('created_by', 'uuid', (c) => c.notNull().references('user_account.id').onDelete('cascade'))
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.references('conversation.id').onDelete('set null'))
    .addColumn('allow_video', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('valid_from', 'timestamptz')
    .addColumn('valid_until', 'timestamptz')
    .addColumn('used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The desktop lists the links an agent made, newest first.
  await db.schema.createIndex('call_link_creator_idx').on('call_link').columns(['created_by', 'created_at']).execute();

  await db.schema
    .createTable('call')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversation.id').onDelete('cascade'))
    .addColumn('queue_id', 'uuid', (c) => c.notNull().references('queue.id'))
    .addColumn('call_link_id', 'uuid', (c) => c.references('call_link.id').onDelete('set null'))
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('regular')
        .check(sql`kind in ('regular', 'transfer', 'callback')`),
    )
    .addColumn('media', 'text', (c) => c.notNull().check(sql`media in ('audio', 'video')`))
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('queued')
        .check(sql`state in ('queued', 'ringing', 'connected', 'on_hold', 'ended', 'abandoned', 'timed_out', 'failed')`),
    )
    /** Callers are served by priority (higher first), then arrival. */
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    /** Only this agent may be offered the call (links routed `to_sharing_agent`). */
    .addColumn('target_agent_id', 'uuid', (c) => c.references('agent.user_id').onDelete('set null'))
    /** The agent being rung, or talking, or who last talked. */
    .addColumn('agent_id', 'uuid', (c) => c.references('agent.user_id').onDelete('set null'))
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ring_started_at', 'timestamptz')
    .addColumn('answered_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('end_reason', 'text')
    .execute();
  // Assignment: the waiting calls of a queue in service order.
  await sql`create index call_queued_idx on call (queue_id, priority desc, queued_at) where state = 'queued'`.execute(db);
  // "No call in progress" check and the agent desktop's current call.
  await sql`create index call_agent_active_idx on call (agent_id) where state in ('ringing', 'connected', 'on_hold')`.execute(db);
  // The conversation's calls, in order.
  await db.schema.createIndex('call_conversation_idx').on('call').columns(['conversation_id', 'queued_at']).execute();

  await db.schema
    .createTable('call_offer')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('call_id', 'uuid', (c) => c.notNull().references('call.id').onDelete('cascade'))
    .addColumn('agent_id', 'uuid', (c) => c.notNull().references('agent.user_id').onDelete('cascade'))
    .addColumn('offered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('answered', 'declined', 'timed_out', 'cancelled')`))
    .addColumn('outcome_at', 'timestamptz')
    .execute();
  // Assignment prefers agents who have not yet been offered this call.
  await db.schema.createIndex('call_offer_call_idx').on('call_offer').columns(['call_id', 'agent_id']).execute();

  await db.schema
    .createTable('call_event')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversation.id').onDelete('cascade'))
    .addColumn('call_id', 'uuid', (c) => c.references('call.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull().check(sql`actor_type in ('agent', 'customer', 'system')`))
    .addColumn('actor_id', 'text')
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The conversation timeline, in order.
  await db.schema.createIndex('call_event_conversation_idx').on('call_event').columns(['conversation_id', 'id']).execute();

  await db.schema
    .createTable('wrap_up')
    .addColumn('call_id', 'uuid', (c) => c.primaryKey().references('call.id').onDelete('cascade'))
    .addColumn('agent_id', 'uuid', (c) => c.notNull().references('agent.user_id').onDelete('cascade'))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .execute();
  // The agent's open wrap-up.
  await sql`create unique index wrap_up_open_idx on wrap_up (agent_id) where ended_at is null`.execute(db);

  await db.schema
    .createTable('timer')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisation.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('ring_timeout', 'wrap_up_end')`))
    /** What the timer is about: a call id; the handler re-checks that it still applies. */
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('agent_id', 'uuid')
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The timer loop takes due timers in order.
  await db.schema.createIndex('timer_due_idx').on('timer').column('due_at').execute();
  // Cancelling the timers of one call.
  await db.schema.createIndex('timer_subject_idx').on('timer').columns(['subject_id', 'kind']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'timer',
    'wrap_up',
    'call_event',
    'call_offer',
    'call',
    'call_link',
    'conversation',
    'contact',
    'queue_member',
    'queue',
    'agent_status_event',
    'agent',
    'user_session',
    'user_account',
    'organisation',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
