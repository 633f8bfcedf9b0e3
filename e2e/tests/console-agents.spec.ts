/**
 * Agents in the console (SPEC §7, §13): a supervisor sets an agent's capacity, wrap-up override
 * and recording override; a bad value is refused with its reason and changes nothing.
 */
import { expect, test } from '../fixtures/center.ts';

test('a supervisor sets an agent’s capacity, wrap-up and recording overrides in the console', async ({ seedOrg, agentPage, db }) => {
  const org = await seedOrg({ agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Ada Agent' }] });
  const page = await agentPage(org.agents[0]?.email ?? '');
  await page.getByRole('link', { name: 'Console' }).click();
  const row = page.getByRole('row', { name: /Ada Agent/ });
  await row.getByLabel('Capacity for Ada Agent').fill('0');
  await row.getByLabel("Recording of Ada Agent's calls").selectOption({ label: 'Never' });
  await row.getByRole('button', { name: 'Save Ada Agent' }).click();
  await expect(page.getByRole('alert')).toContainText('Ada Agent: Capacity must be a whole number from 1 to 100');
  const ada = () =>
    db
      .selectFrom('agent')
      .innerJoin('user_account', 'user_account.id', 'agent.user_id')
      .select(['capacity', 'wrap_up_seconds', 'recording_override'])
      .where('user_account.name', '=', 'Ada Agent')
      .where('agent.organisation_id', '=', org.organisationId)
      .executeTakeFirstOrThrow();
  expect((await ada()).recording_override, 'a refusal changes nothing').toBeNull();

  await row.getByLabel('Capacity for Ada Agent').fill('3');
  await row.getByLabel('Wrap-up override for Ada Agent (s)').fill('45');
  await row.getByRole('button', { name: 'Save Ada Agent' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Ada Agent saved.' })).toBeVisible();
  expect(await ada()).toEqual({ capacity: 3, wrap_up_seconds: 45, recording_override: 'off' });
  await expect(row.getByLabel("Recording of Ada Agent's calls")).toHaveValue('off');

  await row.getByLabel("Recording of Ada Agent's calls").selectOption({ label: 'Organisation setting' });
  await row.getByRole('button', { name: 'Save Ada Agent' }).click();
  await expect.poll(async () => (await ada()).recording_override).toBeNull();
});
