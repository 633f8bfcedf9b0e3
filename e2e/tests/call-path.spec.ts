/**
 * The first complete call (SPEC §4, §7, §11): a customer's call link reaches the available
 * agent, both directions carry media, and the agent wraps up and is available again.
 */
import { createLinkInDesktop, expect, expectMediaFlowing, setStatus, test } from '../fixtures/center.ts';

for (const media of ['audio', 'video'] as const) {
  test(`${media} call: link → pop-up → answer → two-way ${media} → customer hangs up → wrap-up → available`, async ({
    seedOrg,
    agentPage,
    customerPage,
    db,
  }) => {
    const org = await seedOrg({ wrapUpSeconds: 4, agents: [{ name: 'Ada Lovelace' }] });
    const agent = await agentPage(org.agents[0]?.email ?? '');
    await setStatus(agent, 'Available');
    const url = await createLinkInDesktop(agent, { identity: '+44 20 7946 0958' });

    const customer = await customerPage();
    await customer.goto(url);
    await customer.getByRole('button', { name: media === 'audio' ? 'Start audio call' : 'Start video call' }).click();
    await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Waiting for an agent/);

    const popup = agent.getByRole('alertdialog', { name: 'Incoming call' });
    await expect(popup).toBeVisible();
    await expect(popup).toContainText('Default');
    await expect(popup).toContainText('+442079460958');
    await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'ringing');
    await popup.getByRole('button', { name: 'Answer' }).click();

    await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Connected with Ada/);
    await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'on_call');
    await expect(agent.getByRole('timer', { name: 'Call duration' })).toBeVisible();
    await expectMediaFlowing(agent, 'audio');
    await expectMediaFlowing(customer, 'audio');
    if (media === 'video') {
      await expectMediaFlowing(agent, 'video');
      await expectMediaFlowing(customer, 'video');
    }

    await customer.getByRole('button', { name: 'Hang up' }).click();
    await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Call ended/);
    await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'wrap_up');
    const countdown = agent.getByRole('region', { name: 'Wrap-up' }).getByRole('timer', { name: 'Wrap-up time left' });
    await expect(countdown).toHaveText(/[1-4] s/);
    await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'available', { timeout: 8000 });
    await expect(agent.getByRole('region', { name: 'Wrap-up' })).toBeHidden();

    const calls = await db
      .selectFrom('call')
      .select(['state', 'end_reason', 'media'])
      .where('organisation_id', '=', org.organisationId)
      .execute();
    expect(calls).toEqual([{ state: 'ended', end_reason: 'customer_hangup', media }]);
  });
}

test('agent hangs up at once after answering; +10 s extends the wrap-up; closing it early makes the agent available', async ({
  seedOrg,
  agentPage,
  customerPage,
}) => {
  const org = await seedOrg({ agents: [{}] });
  const agent = await agentPage(org.agents[0]?.email ?? '');
  await setStatus(agent, 'Available');
  const url = await createLinkInDesktop(agent, { identity: 'Grace Hopper', routeTo: 'Me' });
  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await agent.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  // Hang up the moment the call panel shows, while the media may still be connecting:
  // an agent can always hang up.
  await agent.getByRole('button', { name: 'Hang up' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Call ended/);

  const wrapUp = agent.getByRole('region', { name: 'Wrap-up' });
  const countdown = wrapUp.getByRole('timer', { name: 'Wrap-up time left' });
  await expect(countdown).toHaveText(/(2[6-9]|30) s/);
  await wrapUp.getByRole('button', { name: '+10 s' }).click();
  await expect(countdown).toHaveText(/(3[6-9]|40) s/);
  await wrapUp.getByLabel('Notes').fill('Wants a call back next week');
  await wrapUp.getByRole('button', { name: 'Close wrap-up' }).click();
  await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'available');
});
