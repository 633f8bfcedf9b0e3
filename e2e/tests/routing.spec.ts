/** Who rings (SPEC §2–3): decline moves on, ring time-out moves on and sets "away", ineligible agents never ring. */
import { createLinkInDesktop, expect, setStatus, test } from '../fixtures/center.ts';

test('the first agent declines → the second rings; nobody answers → it moves on after 3 s and the ignoring agent is away', async ({
  seedOrg,
  agentPage,
  customerPage,
}) => {
  const org = await seedOrg({ ringTimeoutSeconds: 3, agents: [{}, {}] });
  const first = await agentPage(org.agents[0]?.email ?? '');
  const second = await agentPage(org.agents[1]?.email ?? '');
  await setStatus(first, 'Available');
  // The first agent has been idle longest, so longest_idle rings them first.
  await setStatus(second, 'Available');
  const url = await createLinkInDesktop(first, { identity: 'Margaret' });
  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();

  const firstPopup = first.getByRole('alertdialog', { name: 'Incoming call' });
  const secondPopup = second.getByRole('alertdialog', { name: 'Incoming call' });
  await expect(firstPopup).toBeVisible();
  await expect(secondPopup).toBeHidden();
  await firstPopup.getByRole('button', { name: 'Decline' }).click();
  await expect(secondPopup).toBeVisible();
  await expect(firstPopup).toBeHidden();
  await expect(first.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'available');

  // The second agent lets it ring out: after the 3 s ring time-out they are away ("missed call").
  const rang = Date.now();
  await expect(second.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'away', { timeout: 8000 });
  expect(Date.now() - rang).toBeGreaterThan(1500);
  await expect(second.getByRole('status', { name: 'Agent status' })).toContainText('missed call');
  await expect(secondPopup).toBeHidden();
  // The call moved on: the first agent's decline window is over after one ring time-out, so it rings them again.
  await expect(firstPopup).toBeVisible({ timeout: 8000 });
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Waiting for an agent/);
});

test('an agent who is away, in wrap-up or on a call is never rung', async ({ seedOrg, agentPage, customerPage, db }) => {
  const org = await seedOrg({ agents: [{}, {}, {}] });
  const [away, talking, wrapping] = await Promise.all(org.agents.map((a) => agentPage(a.email)));
  if (!away || !talking || !wrapping) throw new Error('agents missing');
  await setStatus(away, 'Away');

  // `talking` takes a call and stays on it.
  await setStatus(talking, 'Available');
  const c1 = await customerPage();
  await c1.goto(await createLinkInDesktop(talking, { identity: 'One', routeTo: 'Me' }));
  await c1.getByRole('button', { name: 'Start audio call' }).click();
  await talking.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  await expect(talking.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'on_call');

  // `wrapping` takes a call, the customer hangs up, and they stay in wrap-up (30 s).
  await setStatus(wrapping, 'Available');
  const c2 = await customerPage();
  await c2.goto(await createLinkInDesktop(wrapping, { identity: 'Two', routeTo: 'Me' }));
  await c2.getByRole('button', { name: 'Start audio call' }).click();
  await wrapping.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  await expect(c2.getByRole('status', { name: 'Call status' })).toHaveText(/Connected/);
  await c2.getByRole('button', { name: 'Hang up' }).click();
  await expect(wrapping.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'wrap_up');

  // A queue call now waits: nobody is eligible.
  const c3 = await customerPage();
  await c3.goto(await createLinkInDesktop(away, { identity: 'Three', routeTo: 'Queue' }));
  await c3.getByRole('button', { name: 'Start audio call' }).click();
  await expect(c3.getByRole('status', { name: 'Call status' })).toHaveText(/Waiting for an agent/);
  for (const page of [away, talking, wrapping]) {
    await expect(page.getByRole('alertdialog', { name: 'Incoming call' })).toBeHidden();
  }
  const waiting = await db
    .selectFrom('call')
    .select('id')
    .where('organisation_id', '=', org.organisationId)
    .where('state', '=', 'queued')
    .execute();
  expect(waiting).toHaveLength(1);
  const offers = await db
    .selectFrom('call_offer')
    .select('agent_id')
    .where('call_id', '=', waiting[0]?.id ?? '')
    .execute();
  expect(offers).toHaveLength(0);

  // Closing the wrap-up makes that agent eligible, and the waiting call rings them.
  await wrapping.getByRole('region', { name: 'Wrap-up' }).getByRole('button', { name: 'Close wrap-up' }).click();
  await expect(wrapping.getByRole('alertdialog', { name: 'Incoming call' })).toBeVisible();
  await expect(away.getByRole('alertdialog', { name: 'Incoming call' })).toBeHidden();
});
