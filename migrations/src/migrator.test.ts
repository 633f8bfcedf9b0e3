import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase } from './testing.ts';
import { migrateToLatest } from './migrator.ts';

test('migrations create the schema and running them again changes nothing', async () => {
  const t = await createTestDatabase();
  try {
    assert.deepEqual(await migrateToLatest(t.url), []);
    const org = await t.db
      .insertInto('organisation')
      .values({ name: 'Acme' })
      .returning(['ring_timeout_seconds', 'wrap_up_seconds'])
      .executeTakeFirstOrThrow();
    assert.deepEqual(org, { ring_timeout_seconds: 30, wrap_up_seconds: 30 });
  } finally {
    await t.drop();
  }
});

test('the database refuses a ring time-out outside 3..60 s', async () => {
  const t = await createTestDatabase();
  try {
    await assert.rejects(t.db.insertInto('organisation').values({ name: 'Acme', ring_timeout_seconds: 2 }).execute());
    await assert.rejects(sql`insert into organisation (name, ring_timeout_seconds) values ('B', 61)`.execute(t.db));
  } finally {
    await t.drop();
  }
});
