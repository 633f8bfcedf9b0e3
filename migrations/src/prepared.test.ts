import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDb } from './migrator.ts';
import { createTestDatabase } from './testing.ts';

test('a repeated parameterised query is prepared once per connection and then runs on a generic plan', async () => {
  const t = await createTestDatabase();
  const db = createDb(t.url, 1);
  try {
    await db.insertInto('organisation').values({ name: 'Acme' }).execute();
    const find = (name: string) => db.selectFrom('organisation').select('name').where('name', '=', name).executeTakeFirst();
    for (let i = 0; i < 8; i += 1) assert.equal((await find(i % 2 === 0 ? 'Acme' : 'Other'))?.name, i % 2 === 0 ? 'Acme' : undefined);
    // The same (only) connection: its prepared statements, with how they were planned.
    const { rows } = await sql<{ statement: string; generic_plans: number; custom_plans: number }>`
      select statement, generic_plans, custom_plans from pg_prepared_statements where statement like '%from "organisation"%'`.execute(db);
    assert.equal(rows.length, 1, 'one statement, parsed once');
    assert.ok(Number(rows[0]?.generic_plans) > 0, `generic plans after five runs: ${JSON.stringify(rows)}`);
    // Unparameterised queries (no values) run as they are.
    assert.equal((await sql<{ n: number }>`select 1 as n`.execute(db)).rows[0]?.n, 1);
  } finally {
    await db.destroy();
    await t.drop();
  }
});

test('a failing prepared statement leaves the connection usable and the next run answers', async () => {
  const t = await createTestDatabase();
  const db = createDb(t.url, 1);
  try {
    const insert = (ring: number) => db.insertInto('organisation').values({ name: 'Acme', ring_timeout_seconds: ring }).execute();
    await assert.rejects(insert(2)); // outside 3..60
    await insert(30);
    assert.equal((await db.selectFrom('organisation').select('ring_timeout_seconds').executeTakeFirstOrThrow()).ring_timeout_seconds, 30);
  } finally {
    await db.destroy();
    await t.drop();
  }
});
