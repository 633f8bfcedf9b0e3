/** The system clock's alarms, which the live view's midnight push relies on. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from './clock.ts';

test('an alarm rings once the wall clock reads its instant, never inside alarm(), and not at all once cancelled', async () => {
  const start = Date.now();
  let cancelledRang = false;
  const cancel = systemClock.alarm(new Date(start + 20), () => {
    cancelledRang = true;
  });
  cancel();
  cancel();

  let pastRang = false;
  const past = new Promise<void>((resolve) =>
    systemClock.alarm(new Date(start - 1_000), () => {
      pastRang = true;
      resolve();
    }),
  );
  assert.equal(pastRang, false, 'an alarm already due rings after alarm() has returned');
  await past;

  const target = new Date(start + 60);
  const rangAt = await new Promise<number>((resolve) => systemClock.alarm(target, () => resolve(Date.now())));
  assert.ok(rangAt >= target.getTime(), `rang ${target.getTime() - rangAt} ms early`);
  assert.equal(cancelledRang, false, 'the cancelled alarm was due before this one and did not ring');
});
