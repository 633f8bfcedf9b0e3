import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDb } from '@cc/migrations';
import { createTestDatabase } from '@cc/migrations/testing';
import { Changes } from './changes.ts';
import { holdReconnectGrace } from './reconnect-grace.ts';

test('a call keeps one reconnect grace, moved only later, also when its upsert runs on a generic plan', async () => {
  const t = await createTestDatabase();
  // One connection, forced to generic plans from the first run: a parameter in the upsert's
  // arbiter (the partial unique index's `kind = 'reconnect_grace'`) is refused there.
  const db = createDb(t.url, 1);
  try {
    await sql`set plan_cache_mode = force_generic_plan`.execute(db);
    const org = await db.insertInto('organisation').values({ name: 'Acme' }).returning('id').executeTakeFirstOrThrow();
    const call = { id: randomUUID(), organisationId: org.id };
    const at = (seconds: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, seconds));
    for (const seconds of [10, 30, 20]) await holdReconnectGrace(db, new Changes(), call, at(seconds));
    const timers = await db.selectFrom('timer').select(['kind', 'due_at']).where('subject_id', '=', call.id).execute();
    assert.deepEqual(timers, [{ kind: 'reconnect_grace', due_at: at(30) }]);
  } finally {
    await db.destroy();
    await t.drop();
  }
});
