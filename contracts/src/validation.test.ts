import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callLinkCreateSchema, settingsUpdateSchema } from './http-api.ts';
import { describeIssues } from './validation.ts';

test('an out-of-range ring time-out is described in words a supervisor reads', () => {
  const parsed = settingsUpdateSchema.safeParse({ ringTimeoutSeconds: 2 });
  assert.equal(parsed.success, false);
  assert.equal(!parsed.success && describeIssues(parsed.error), 'Ring time-out must be a whole number of seconds from 3 to 60.');
  assert.equal(settingsUpdateSchema.safeParse({ ringTimeoutSeconds: 61 }).success, false);
  assert.equal(settingsUpdateSchema.safeParse({ ringTimeoutSeconds: 3, wrapUpSeconds: 0 }).success, true);
});

test("zod's own messages name the field", () => {
  const parsed = callLinkCreateSchema.safeParse({ type: 'sometimes', identity: 'x' });
  assert.equal(parsed.success, false);
  assert.match(!parsed.success ? describeIssues(parsed.error) : '', /^type: Invalid/);
});
