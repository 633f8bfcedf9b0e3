/**
 * Blind transfer (SPEC §6) from the agent desktop: the first agent leaves at once (wrap-up),
 * the customer hears the transfer music while the second agent's pop-up says "Transfer", and
 * both then hear each other; a transfer nobody answers comes back to the first agent with a
 * warning, and their media is back. A recorded transfer gives four leg files (SPEC §13):
 * customer + first agent, then customer + second agent, each with sound.
 */
import path from 'node:path';
import type { Page } from '@playwright/test';
import { decode, energy, probe } from '@cc/recording-composer/testing/audio';
import { listen, samples, SOUND_RMS, type AudioSample } from '../fixtures/audio.ts';
import { createLinkInDesktop, expect, expectMediaFlowing, setStatus, test } from '../fixtures/center.ts';

/** Over the last second, the largest share of samples with sound on any one received track. */
function loudestTrackShare(all: AudioSample[]): number {
  const recent = all.filter((s) => s.t > (all.at(-1)?.t ?? 0) - 1000);
  const shares = [...new Set(recent.map((s) => s.track))].map((track) => {
    const mine = recent.filter((s) => s.track === track);
    return mine.filter((s) => s.rms > SOUND_RMS).length / mine.length;
  });
  return Math.max(0, ...shares);
}

async function connectedCall(agent: Page, customer: Page, url: string): Promise<void> {
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await agent.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Connected with Ada/);
}

async function transferTo(agent: Page, name: string): Promise<void> {
  await agent.getByRole('button', { name: 'Transfer', exact: true }).click();
  const panel = agent.getByRole('region', { name: 'Transfer the call' });
  await expect(panel.getByRole('list', { name: 'Agents' })).toContainText(name);
  await panel.getByRole('button', { name: `Transfer to ${name}` }).click();
}

test('transfer to an agent: music for the customer while the transfer rings, then the second agent talks with them; one recording per segment', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Ada Agent' }, { name: 'Bob Agent' }] });
  await db
    .insertInto('recording_configuration')
    .values({ organisation_id: org.organisationId, enabled: true, composition: 'per_leg' })
    .execute();
  const ada = await agentPage(org.agents[0]?.email ?? '');
  const bob = await agentPage(org.agents[1]?.email ?? '');
  const url = await createLinkInDesktop(ada, { identity: 'carol@example.test', routeTo: 'Me' });
  await ada.getByLabel('Status', { exact: true }).selectOption({ label: 'Available' });
  const customer = await customerPage();
  await connectedCall(ada, customer, url);
  // Bob is Available before the panel lists him (the list is a snapshot, refreshed on demand).
  await setStatus(bob, 'Available');
  await listen(customer);
  // Ada and the customer talk for a few seconds (the fake microphones beep) before she transfers.
  await expectMediaFlowing(ada, 'audio');
  await ada.waitForTimeout(2500);

  await transferTo(ada, 'Bob Agent');
  await expect(ada.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'wrap_up');
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('Transferring your call…');
  const popup = bob.getByRole('alertdialog', { name: 'Incoming call' });
  await expect(popup).toContainText('Transfer');
  // The customer hears sound (the transfer music) while Bob's desk rings.
  await expect.poll(async () => loudestTrackShare(await samples(customer)), { timeout: 10_000 }).toBeGreaterThan(0.9);

  await popup.getByRole('button', { name: 'Answer' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Connected with Bob/);
  await expectMediaFlowing(bob, 'audio');
  await expectMediaFlowing(customer, 'audio');

  // Four leg files: customer + Ada, then customer + Bob; every one carries sound.
  await customer.getByRole('button', { name: 'Hang up' }).click();
  const legs = () =>
    db
      .selectFrom('recording as r')
      .innerJoin('call as c', 'c.id', 'r.call_id')
      .innerJoin('recording_session as s', 's.id', 'r.session_id')
      .leftJoin('user_account as u', 'u.id', 'r.agent_id')
      .select(['u.name', 'r.leg', 'r.status', 'r.file_name'])
      .where('c.organisation_id', '=', org.organisationId)
      .orderBy('s.started_at')
      .orderBy('r.leg')
      .execute();
  await expect
    .poll(async () => (await legs()).map((r) => `${r.name ?? ''} ${r.leg} ${r.status}`), { timeout: 15_000 })
    .toEqual(['Ada Agent agent ready', 'Ada Agent customer ready', 'Bob Agent agent ready', 'Bob Agent customer ready']);
  for (const leg of await legs()) {
    const file = path.join(process.env.E2E_DATA_DIR ?? '', 'recordings', leg.file_name ?? '');
    expect((await probe(file)).codec).toBe('opus');
    const [channel] = await decode(file, 1);
    expect(Math.max(...energy(channel ?? new Int16Array())), `${leg.name ?? ''} ${leg.leg}`).toBeGreaterThan(1000);
  }
  expect((await legs()).map((r) => r.file_name?.split('_')[1])).toEqual(['Ada-Agent', 'Ada-Agent', 'Bob-Agent', 'Bob-Agent']);
});

test('a transfer nobody answers comes back to the first agent, with a warning and the media back', async ({
  seedOrg,
  agentPage,
  customerPage,
}) => {
  const org = await seedOrg({ ringTimeoutSeconds: 4, agents: [{ name: 'Ada Agent' }, { name: 'Bob Agent' }] });
  const ada = await agentPage(org.agents[0]?.email ?? '');
  const bob = await agentPage(org.agents[1]?.email ?? '');
  const url = await createLinkInDesktop(ada, { identity: 'dave@example.test', routeTo: 'Me' });
  await ada.getByLabel('Status', { exact: true }).selectOption({ label: 'Available' });
  const customer = await customerPage();
  await connectedCall(ada, customer, url);
  // Bob is Available before the panel lists him (the list is a snapshot, refreshed on demand).
  await setStatus(bob, 'Available');

  await transferTo(ada, 'Bob Agent');
  await expect(bob.getByRole('alertdialog', { name: 'Incoming call' })).toBeVisible();
  // Bob does not answer: after the ring time-out the call is Ada's again.
  await expect(ada.getByText('The transfer was not answered. The call is back with you.')).toBeVisible({ timeout: 10_000 });
  await expect(ada.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'on_call');
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Connected with Ada/);
  await expectMediaFlowing(ada, 'audio');
  await expectMediaFlowing(customer, 'audio');
});
