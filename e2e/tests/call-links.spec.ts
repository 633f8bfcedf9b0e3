/** Call links that cannot be used show a clear page and create nothing (SPEC §11); denied devices reject cleanly (SPEC §12). */
import { chromium } from '@playwright/test';
import { CHROMIUM_PATH, chromiumArgs } from '../fixtures/chromium.ts';
import { createLinkInDesktop, expect, setStatus, test } from '../fixtures/center.ts';

test('a used one-time link shows a clear page and creates no call', async ({ seedOrg, agentPage, customerPage, db }) => {
  const org = await seedOrg({ agents: [{}] });
  const agent = await agentPage(org.agents[0]?.email ?? '');
  await setStatus(agent, 'Available');
  const url = await createLinkInDesktop(agent, { identity: 'Once' });
  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await expect(agent.getByRole('alertdialog', { name: 'Incoming call' })).toBeVisible();
  // The agent's list of links shows it used as soon as the call comes in.
  await expect(agent.getByRole('listitem').filter({ hasText: 'Once' }).getByText('used', { exact: true })).toBeVisible();
  await customer.getByRole('button', { name: 'Hang up' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Call ended/);

  const again = await customerPage();
  await again.goto(url);
  await expect(again.getByRole('heading', { level: 1 })).toHaveText('This link has already been used');
  await expect(again.getByRole('button', { name: 'Start audio call' })).toHaveCount(0);
  const calls = await db.selectFrom('call').select(['state']).where('organisation_id', '=', org.organisationId).execute();
  expect(calls).toEqual([{ state: 'abandoned' }]);
});

test('an expired time-frame link and an unknown link show clear pages and create nothing', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{}] });
  const agent = await agentPage(org.agents[0]?.email ?? '');
  // Made through the desktop's own API with a window that closes in two seconds.
  const url = await agent.evaluate(async () => {
    const res = await fetch('/api/call-links', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'time_frame',
        routing: 'routing_rules',
        identity: 'Late',
        validFrom: new Date(Date.now() - 3600_000).toISOString(),
        validUntil: new Date(Date.now() + 2000).toISOString(),
      }),
    });
    return ((await res.json()) as { url: string }).url;
  });
  const early = await customerPage();
  await early.goto(url);
  await expect(early.getByRole('button', { name: 'Start audio call' })).toBeVisible();
  await expect
    .poll(async () => ((await (await fetch(url.replace('/c/', '/api/call-links/public/'))).json()) as { problem?: string }).problem, {
      timeout: 5000,
    })
    .toBe('link_expired');
  const customer = await customerPage();
  await customer.goto(url);
  await expect(customer.getByRole('heading', { level: 1 })).toHaveText('This link has expired');

  const unknown = await customerPage();
  await unknown.goto(`/c/${'A'.repeat(43)}`);
  await expect(unknown.getByRole('heading', { level: 1 })).toHaveText('This link is not valid');
  const calls = await db.selectFrom('call').select('id').where('organisation_id', '=', org.organisationId).execute();
  expect(calls).toHaveLength(0);
});

test('denied camera/microphone permission gives a clear message and no call', async ({ seedOrg, agentPage, baseURL, db }) => {
  const org = await seedOrg({ agents: [{}] });
  const agent = await agentPage(org.agents[0]?.email ?? '');
  await setStatus(agent, 'Available');
  const url = await createLinkInDesktop(agent, { identity: 'Private person' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: chromiumArgs('deny'),
  });
  try {
    const page = await (await browser.newContext({ baseURL })).newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Start audio call' }).click();
    await expect(page.getByRole('alert')).toHaveText(/Permission to use camera and\/or microphone was denied/);
    await expect(agent.getByRole('alertdialog', { name: 'Incoming call' })).toBeHidden();
    const calls = await db.selectFrom('call').select('id').where('organisation_id', '=', org.organisationId).execute();
    expect(calls).toHaveLength(0);
  } finally {
    await browser.close();
  }
});
