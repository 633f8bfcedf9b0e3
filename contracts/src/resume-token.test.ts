import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { signJoinToken, verifyJoinToken } from './join-token.ts';
import { signResumeToken, verifyResumeToken } from './resume-token.ts';

const secret = 'x'.repeat(40);

test('a resume credential verifies with the same secret and names its call', async () => {
  const callId = randomUUID();
  assert.equal(await verifyResumeToken(await signResumeToken(callId, secret), secret), callId);
});

test('a resume credential signed with another secret, or expired, is refused', async () => {
  await assert.rejects(verifyResumeToken(await signResumeToken(randomUUID(), 'y'.repeat(40)), secret));
  await assert.rejects(verifyResumeToken(await signResumeToken(randomUUID(), secret, -10), secret));
});

test('a join token is not a resume credential, nor the other way round', async () => {
  const callId = randomUUID();
  const join = await signJoinToken({ room: callId, sub: callId, name: 'Customer', role: 'customer', publish: ['audio'] }, secret);
  await assert.rejects(verifyResumeToken(join, secret));
  await assert.rejects(verifyJoinToken(await signResumeToken(callId, secret), secret));
});
