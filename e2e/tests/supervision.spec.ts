/**
 * What supervisors watch and agents look back on (SPEC §14): the live view follows a call
 * as it waits, rings, is answered and ends, without reloading; the agent's history lists
 * the call and opens its timeline.
 */
import { createLinkInDesktop, expect, test } from '../fixtures/center.ts';

test('the live view follows a call from waiting to answered, and the agent finds it in the history', async ({
  seedOrg,
  agentPage,
  customerPage,
}) => {
  const org = await seedOrg({
    wrapUpSeconds: 0,
    agents: [{ name: 'Ada Lovelace' }, { name: 'Sam Watcher', role: 'supervisor', isAgent: false }],
  });
  const [agentLogin, supervisorLogin] = org.agents;
  const agent = await agentPage(agentLogin?.email ?? '');
  const supervisor = await agentPage(supervisorLogin?.email ?? '');
  await supervisor.getByRole('link', { name: 'Live view' }).click();
  const row = supervisor.getByRole('table', { name: 'Queues' }).getByRole('row', { name: /Default/ });
  const cell = (label: string) => row.locator(`td[data-label="${label}"]`);
  await expect(cell('Waiting')).toHaveText('0');

  // The agent is offline: the call waits, and the live view shows it.
  const customer = await customerPage();
  await customer.goto(await createLinkInDesktop(agent, { identity: 'Grace Hopper' }));
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await expect(cell('Waiting')).toHaveText('1');

  // The agent comes in (the waiting call rings at once) and answers: waiting 0, one in progress.
  await agent.getByLabel('Status', { exact: true }).selectOption({ label: 'Available' });
  await agent.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  await expect(cell('Waiting')).toHaveText('0');
  await expect(cell('In progress')).toHaveText('1');
  await expect(supervisor.getByRole('table', { name: 'Agents' }).getByRole('row', { name: /Ada Lovelace/ })).toContainText('On call');

  await customer.getByRole('button', { name: 'Hang up' }).click();
  await expect(cell('In progress')).toHaveText('0');
  await expect(cell('Answered today')).toHaveText('1');

  // The agent's history has the call, and its timeline says who answered.
  await agent.getByRole('link', { name: 'History' }).click();
  const calls = agent.getByRole('table', { name: 'Calls' });
  await expect(calls).toContainText('Grace Hopper');
  await calls.getByRole('button', { name: /Timeline for Grace Hopper/ }).click();
  const timeline = agent.getByRole('region', { name: 'Timeline' });
  await expect(timeline).toContainText('Queued');
  await expect(timeline).toContainText('Answered by Ada Lovelace');
  await expect(timeline).toContainText('Ended by customer');
});
