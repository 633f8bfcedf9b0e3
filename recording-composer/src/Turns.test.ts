import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Turns } from './Turns.ts';

test('at most `limit` pieces of work run at once, in order of arrival, and a failure frees its turn', async () => {
  const turns = new Turns(2);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const work = (i: number) =>
    turns.run(async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
      if (i === 1) throw new Error('failed');
      return i;
    });
  const results = await Promise.allSettled([0, 1, 2, 3, 4].map(work));
  assert.equal(most, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
  );
  // A newcomer while every turn is taken waits: it cannot slip in as a turn is handed over.
  assert.equal(await work(5), 5);
});
