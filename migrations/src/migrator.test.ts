import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import { TIMER_KINDS } from './database.ts';
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

test('the timer table takes every kind the code names, one reconnect grace per call, and nothing else', async () => {
  const t = await createTestDatabase();
  try {
    const org = await t.db.insertInto('organisation').values({ name: 'Acme' }).returning('id').executeTakeFirstOrThrow();
    const timer = (kind: string, subjectId = randomUUID()) =>
      sql`insert into timer (organisation_id, kind, subject_id, due_at) values (${org.id}, ${kind}, ${subjectId}, now())`.execute(t.db);
    for (const kind of TIMER_KINDS) await timer(kind);
    await assert.rejects(timer('no_such_kind'));
    const callId = randomUUID();
    await timer('reconnect_grace', callId);
    await assert.rejects(timer('reconnect_grace', callId));
    await timer('ring_timeout', callId);
    await timer('ring_timeout', callId);
  } finally {
    await t.drop();
  }
});
