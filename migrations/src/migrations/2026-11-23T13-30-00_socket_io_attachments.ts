import { sql, type Kysely } from 'kysely';

/**
 * Several routing-service instances share Socket.IO events through PostgreSQL
 * (@socket.io/postgres-adapter): NOTIFY carries small events, and this table the ones over
 * NOTIFY's 8000-byte limit. The adapter deletes old rows itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('socket_io_attachments')
    .addColumn('id', 'bigserial', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`))
    .addColumn('payload', 'bytea')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('socket_io_attachments').execute();
}
