import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coalescer } from './coalescer.ts';

/** A task whose runs the test finishes one by one. */
function controlledTask() {
  const finishers: (() => void)[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  return {
    runs: () => finishers.length,
    maxConcurrent: () => maxConcurrent,
    finish: () => finishers.shift()?.(),
    task: () =>
      new Promise<void>((resolve) => {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        finishers.push(() => {
          concurrent -= 1;
          resolve();
        });
      }),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('requests during a run make exactly one more run, never two at once', async () => {
  const c = new Coalescer();
  const t = controlledTask();
  const first = c.run('q', t.task);
  const second = c.run('q', t.task);
  const third = c.run('q', t.task);
  assert.equal(second, third, 'requests while one run is in progress share the next run');
  t.finish();
  await first;
  await tick();
  assert.equal(t.runs(), 1, 'the next run started');
  t.finish();
  await second;
  assert.equal(t.maxConcurrent(), 1);
});

test('a request is answered after at most one more run, however many requests keep coming', { timeout: 5_000 }, async () => {
  const c = new Coalescer();
  const t = controlledTask();
  void c.run('q', t.task);
  let answered = false;
  const mine = c.run('q', t.task).then(() => (answered = true));
  for (let round = 0; round < 3; round++) {
    t.finish();
    await tick();
    void c.run('q', t.task); // keeps arriving
  }
  await mine;
  assert.ok(answered);
  // Drain what is left.
  while (t.runs() > 0) {
    t.finish();
    await tick();
  }
});

test('keys run independently', async () => {
  const c = new Coalescer();
  const t = controlledTask();
  void c.run('a', t.task);
  void c.run('b', t.task);
  assert.equal(t.runs(), 2);
  t.finish();
  t.finish();
});
