import { sql, type Kysely } from 'kysely';

/**
 * A customer whose connection drops has a grace period to come back before their call ends:
 * a durable timer of the new kind `reconnect_grace`, one per call, that the routing-service
 * instance holding the customer's socket keeps pushing forward (so it also falls due when
 * that instance dies).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table timer drop constraint timer_kind_check`.execute(db);
  await sql`alter table timer add constraint timer_kind_check check (kind in ('ring_timeout', 'wrap_up_end', 'reconnect_grace'))`.execute(
    db,
  );
  // One grace per call: starting, renewing and resuming upsert it by call id (ON CONFLICT).
  await sql`create unique index timer_reconnect_grace_idx on timer (subject_id) where kind = 'reconnect_grace'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('timer_reconnect_grace_idx').execute();
  await sql`delete from timer where kind = 'reconnect_grace'`.execute(db);
  await sql`alter table timer drop constraint timer_kind_check`.execute(db);
  await sql`alter table timer add constraint timer_kind_check check (kind in ('ring_timeout', 'wrap_up_end'))`.execute(db);
}
