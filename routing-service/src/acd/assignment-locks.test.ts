/**
 * Assignment beside other transactions (SPEC §3). A decision passes over calls and agents
 * that another transaction holds (SKIP LOCKED), so that two decisions never offer the same;
 * a row that is merely referenced by an insert in progress (a timeline event, a recording, a
 * status event) is not held that way and must still ring; a call passed over while it was
 * really held rings at the next assignment sweep, with no other event.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { insertCall } from '../testing/calls.ts';
import { ringingAgents, seed, startTestContext, type TestContext } from '../testing/context.ts';

const SWEEP_MS = 300;

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext({ env: { ASSIGNMENT_SWEEP_MS: String(SWEEP_MS) } });
});
after(async () => {
  await ctx.close();
});

/** Runs `during` while another transaction has done `hold` and not yet committed, then rolls it back. */
async function whileHeld(hold: (trx: typeof ctx.t.db) => Promise<unknown>, during: () => Promise<void>): Promise<void> {
  const rollback = new Error('rollback');
  await assert.rejects(
    ctx.t.db.transaction().execute(async (trx) => {
      await hold(trx);
      await during();
      throw rollback;
    }),
    (error) => error === rollback,
  );
}

/** Makes the agent available behind the engine's back: no event starts a pass. */
const makeAvailable = (agentId: string) =>
  ctx.t.db.updateTable('agent').set({ status: 'available' }).where('user_id', '=', agentId).execute();

const state = async (callId: string) =>
  (await ctx.t.db.selectFrom('call').select('state').where('id', '=', callId).executeTakeFirstOrThrow()).state;

test('a call and an agent referenced by inserts in progress still ring: a key share does not hide them', async () => {
  // Away until the insert is in progress, so no pass (nor sweep) can ring the call before.
  const org = await seed(ctx, { agents: [{ status: 'away' }] });
  const agentId = org.ids[0] ?? '';
  const callId = await insertCall(ctx.t.db, { organisationId: org.organisationId, queueId: org.defaultQueueId });
  const call = await ctx.t.db.selectFrom('call').select('conversation_id').where('id', '=', callId).executeTakeFirstOrThrow();
  await whileHeld(
    async (trx) => {
      // A timeline event for the call (as a recording or a key press writes) and a status event
      // for the agent: each takes KEY SHARE on the row it references, until commit.
      await trx
        .insertInto('call_event')
        .values({
          organisation_id: org.organisationId,
          conversation_id: call.conversation_id,
          call_id: callId,
          type: 'call_queued',
          actor_type: 'system',
          at: new Date(),
        })
        .execute();
      await trx
        .insertInto('agent_status_event')
        .values({ organisation_id: org.organisationId, agent_id: agentId, status: 'available', at: new Date() })
        .execute();
    },
    async () => {
      await makeAvailable(agentId);
      await ctx.service.engine.assignQueue(org.defaultQueueId);
      assert.equal(await state(callId), 'ringing');
      assert.deepEqual(await ringingAgents(ctx, callId), [agentId]);
    },
  );
});

test('a call passed over while another transaction held it rings at the next sweep, with no other event', async () => {
  const org = await seed(ctx, { agents: [{ status: 'away' }] });
  const callId = await insertCall(ctx.t.db, { organisationId: org.organisationId, queueId: org.defaultQueueId });
  // Held as the engine holds a call it changes (lockCall), across a whole assignment pass.
  await whileHeld(
    (trx) => trx.selectFrom('call').select('id').where('id', '=', callId).forUpdate().execute(),
    async () => {
      await makeAvailable(org.ids[0] ?? '');
      await ctx.service.engine.assignQueue(org.defaultQueueId);
      assert.equal(await state(callId), 'queued', 'the pass passed over the held call');
    },
  );
  const deadline = Date.now() + SWEEP_MS * 10;
  while ((await state(callId)) !== 'ringing' && Date.now() < deadline) await sleep(50);
  assert.equal(await state(callId), 'ringing', 'the sweep rang it');
  assert.deepEqual(await ringingAgents(ctx, callId), [org.ids[0]]);
});
