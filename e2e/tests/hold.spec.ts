/**
 * Hold (SPEC §5), measured in Chromium: on hold the customer hears the hold music (sound on
 * the server's track) and does not hear the agent, and the agent receives nothing from the
 * customer; on resume both hear each other again and the music stops.
 */
import { listen, samples, SOUND_RMS } from '../fixtures/audio.ts';
import { createLinkInDesktop, expect, expectMediaFlowing, inbound, test } from '../fixtures/center.ts';

test('on hold the customer hears music and neither side hears the other; resume brings them back', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Ada Agent' }] });
  const agent = await agentPage(org.agents[0]?.email ?? '');
  const url = await createLinkInDesktop(agent, { identity: 'carol@example.test' });
  await agent.getByLabel('Status', { exact: true }).selectOption({ label: 'Available' });

  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await agent.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Connected with Ada/);
  await expectMediaFlowing(agent, 'audio');
  await expectMediaFlowing(customer, 'audio');
  await listen(customer);
  await listen(agent);

  const holdAt = Date.now();
  await agent.getByRole('button', { name: 'Hold' }).click();
  await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'on_hold');
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('On hold');
  await expect(agent.getByRole('button', { name: 'Resume' })).toHaveAttribute('aria-pressed', 'true');

  // The customer hears the hold music on the server's track; the agent's track to them carries nothing.
  const tracks = async () => [...new Set((await samples(customer)).map((s) => s.track))];
  let music = '';
  await expect
    .poll(
      async () => {
        const all = await samples(customer);
        const startedAt = all.at(-1)?.t ?? 0;
        music =
          (await tracks()).find((t) => all.filter((s) => s.track === t && s.t > startedAt - 1000).every((s) => s.rms > SOUND_RMS)) ?? '';
        return music;
      },
      { timeout: 10_000 },
    )
    .not.toBe('');
  const heardAfter = Date.now() - holdAt;
  const agentBefore = await inbound(agent, 'audio');
  const customerBefore = await inbound(customer, 'audio');
  await agent.waitForTimeout(2000);
  const agentAfter = await inbound(agent, 'audio');
  const customerAfter = await inbound(customer, 'audio');
  expect(agentAfter.packets - agentBefore.packets, 'the agent receives nothing from the customer on hold').toBeLessThan(5);
  // The customer still receives the music (about 50 packets a second) but not the agent's voice.
  expect(customerAfter.packets - customerBefore.packets).toBeGreaterThan(70);
  expect(customerAfter.packets - customerBefore.packets).toBeLessThan(130);
  const atAgent = await samples(agent);
  const recent = atAgent.filter((s) => s.t > (atAgent.at(-1)?.t ?? 0) - 1500);
  expect(
    recent.filter((s) => s.rms > SOUND_RMS),
    'silence at the agent',
  ).toEqual([]);
  expect(heardAfter, 'music within a few seconds of the click').toBeLessThan(5000);

  await agent.getByRole('button', { name: 'Resume' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Connected with Ada/);
  await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'on_call');
  await expectMediaFlowing(agent, 'audio');
  const resumedAt = (await samples(customer)).at(-1)?.t ?? 0;
  await customer.waitForTimeout(1500);
  const musicAfter = (await samples(customer)).filter((s) => s.track === music && s.t > resumedAt + 600);
  expect(
    musicAfter.filter((s) => s.rms > SOUND_RMS),
    'the music stopped',
  ).toEqual([]);

  await agent.getByRole('button', { name: 'Hang up' }).click();
  const events = await db
    .selectFrom('call_event')
    .innerJoin('call', 'call.id', 'call_event.call_id')
    .select('call_event.type')
    .where('call.organisation_id', '=', org.organisationId)
    .orderBy('call_event.id')
    .execute();
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['call_held', 'call_resumed']));
});
