/**
 * A customer who reloads the call page during a call takes the call back (the tab keeps the
 * resume credential): connected with the same agent again, media flowing both ways again,
 * the agent's call untouched; hanging up afterwards ends it as usual.
 */
import { createLinkInDesktop, expect, expectMediaFlowing, setStatus, test } from '../fixtures/center.ts';

test('a reload during a call resumes it: connected again, media both ways, the agent unaffected', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Ada Lovelace' }] });
  const agent = await agentPage(org.agents[0]?.email ?? '');
  await setStatus(agent, 'Available');
  const url = await createLinkInDesktop(agent, { identity: 'Reloader', routeTo: 'Me' });

  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await agent.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  const status = customer.getByRole('status', { name: 'Call status' });
  await expect(status).toHaveText(/Connected with Ada/);
  await expectMediaFlowing(customer, 'audio');

  await customer.reload();
  // The one-time link is used up, yet the page shows the call, not "already used".
  await expect(status).toHaveText(/Connected with Ada/);
  await expect(customer.getByRole('heading', { name: 'This link has already been used' })).toHaveCount(0);
  await expectMediaFlowing(customer, 'audio');
  await expectMediaFlowing(agent, 'audio');
  await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'on_call');

  await customer.getByRole('button', { name: 'Hang up' }).click();
  await expect(status).toHaveText(/Call ended/);
  await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'wrap_up');
  const calls = await db.selectFrom('call').select(['state', 'end_reason']).where('organisation_id', '=', org.organisationId).execute();
  expect(calls).toEqual([{ state: 'ended', end_reason: 'customer_hangup' }]);

  // Reloading after the end starts nothing and does not pretend the call goes on.
  await customer.reload();
  await expect(customer.getByRole('heading', { level: 1 })).toHaveText('This link has already been used');
});
