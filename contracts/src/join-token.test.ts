import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signJoinToken, verifyJoinToken } from './join-token.ts';

const secret = 'x'.repeat(40);
const claims = { room: 'room-1', sub: 'peer-1', name: 'Ada', role: 'agent', publish: ['audio'] } as const;

test('a signed join token verifies with the same secret and keeps its claims', async () => {
  const token = await signJoinToken({ ...claims, publish: [...claims.publish] }, secret);
  assert.deepEqual(await verifyJoinToken(token, secret), { ...claims, publish: ['audio'] });
});

test('a join token signed with another secret is refused', async () => {
  const token = await signJoinToken({ ...claims, publish: [] }, 'y'.repeat(40));
  await assert.rejects(verifyJoinToken(token, secret));
});

test('an expired join token is refused', async () => {
  const token = await signJoinToken({ ...claims, publish: [] }, secret, -10);
  await assert.rejects(verifyJoinToken(token, secret));
});
