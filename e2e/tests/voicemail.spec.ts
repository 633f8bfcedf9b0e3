/**
 * Voicemail (SPEC §9): outside working hours a caller presses the voicemail key during the
 * away message, hears the tone (1 kHz), speaks (Chromium's fake microphone beeps) and hangs
 * up. Their leg lands on local disk as an Ogg Opus file as long as the message, in the
 * callback list with the caller's identity, where an agent of the queue plays it.
 */
import path from 'node:path';
import type { PromptView } from '@cc/contracts';
import { DEFAULT_WAITING_STRATEGY, DEFAULT_WORKING_HOURS } from '@cc/contracts';
import { decode, energy, probe } from '@cc/recording-composer/testing/audio';
import { classify, listen, samples, toneWav } from '../fixtures/audio.ts';
import { createLinkInDesktop, expect, test } from '../fixtures/center.ts';

const TONES = { tone: 1000, away: 1500 };

test('outside hours the caller leaves a voicemail: the tone, a file as long as the message, listed for the queue’s agents', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Sam Supervisor', role: 'supervisor' }, { name: 'Ada Agent' }] });
  const supervisor = await agentPage(org.agents[0]?.email ?? '');
  const upload = await supervisor.request.post('/api/console/prompts/file?name=Away&fileName=away.wav', {
    headers: { 'content-type': 'application/octet-stream' },
    data: toneWav(TONES.away, 1),
  });
  const away = (await upload.json()) as PromptView;
  const hours = await supervisor.request.put(`/api/console/queues/${org.defaultQueueId}/working-hours`, {
    data: { ...DEFAULT_WORKING_HOURS, enabled: true, weekly: [], awayMessagePromptId: away.id },
  });
  expect(hours.status()).toBe(200);
  const strategy = await supervisor.request.put(`/api/console/queues/${org.defaultQueueId}/waiting-strategy`, {
    data: {
      ...DEFAULT_WAITING_STRATEGY,
      responseCodes: [{ context: 'away', digit: '3', action: 'voicemail' }],
      digitWaitSeconds: 20,
      voicemailMaxSeconds: 30,
    },
  });
  expect(strategy.status()).toBe(200);
  const url = await createLinkInDesktop(supervisor, { identity: '+44 20 7946 0555' });

  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('We are closed at the moment');
  await listen(customer);
  await customer.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '3', exact: true }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('Recording your message');
  await expect(customer.getByLabel('Your message')).toContainText(/Speak after the tone, then hang up when you are done · 00:(2|3)\d left/);
  await expect(customer.getByRole('group', { name: 'Keypad' }), 'keys do nothing while the message is left').toHaveCount(0);
  // The tone is heard.
  await expect
    .poll(async () => (await samples(customer)).filter((s) => classify(s, TONES) === 'tone').length, { timeout: 10_000 })
    .toBeGreaterThan(3);
  // The caller speaks for a few seconds (the fake microphone's beeps), then hangs up.
  await customer.waitForTimeout(3000);
  await customer.getByRole('button', { name: 'Hang up' }).click();
  await expect(customer.getByText('Thank you. Your message has been recorded; we will call you back.')).toBeVisible();

  const call = await db
    .selectFrom('call')
    .select(['id', 'state', 'end_reason', 'ended_at'])
    .where('organisation_id', '=', org.organisationId)
    .executeTakeFirstOrThrow();
  expect(call).toMatchObject({ state: 'ended', end_reason: 'voicemail' });
  const started = await db
    .selectFrom('call_event')
    .select('at')
    .where('call_id', '=', call.id)
    .where('type', '=', 'voicemail_started')
    .executeTakeFirstOrThrow();
  const recording = () =>
    db
      .selectFrom('recording')
      .select(['kind', 'leg', 'status', 'file_name', 'agent_id', 'error'])
      .where('call_id', '=', call.id)
      .executeTakeFirst();
  // The status with its error, so a failed recording says why.
  await expect
    .poll(
      async () => {
        const row = await recording();
        return row?.status === 'failed' ? `failed: ${row.error}` : row?.status;
      },
      { timeout: 15_000 },
    )
    .toBe('ready');
  const file = await recording();
  expect(file).toMatchObject({ kind: 'voicemail', leg: 'customer', agent_id: null });
  const filePath = path.join(process.env.E2E_DATA_DIR ?? '', 'recordings', file?.file_name ?? '');
  const info = await probe(filePath);
  expect(info.codec).toBe('opus');
  expect(info.channels).toBe(1);
  const messageSeconds = ((call.ended_at?.getTime() ?? 0) - started.at.getTime()) / 1000;
  expect(Math.abs(info.durationS - messageSeconds), `file ${info.durationS} s, message ${messageSeconds} s`).toBeLessThan(0.5);
  const [channel] = await decode(filePath, 1);
  expect(Math.max(...energy(channel ?? new Int16Array())), 'the caller is heard').toBeGreaterThan(1000);

  // An agent of the queue finds it in the callback list, with the caller's identity, and plays it.
  const agent = await agentPage(org.agents[1]?.email ?? '');
  await agent.getByRole('link', { name: 'Callbacks' }).click();
  const item = agent.getByRole('region', { name: 'Callback requests' }).getByRole('listitem', { name: 'Voicemail from +44 20 7946 0555' });
  await expect(item).toContainText('In queue');
  const player = item.getByLabel('Voicemail from +44 20 7946 0555 player');
  await expect
    .poll(() => player.evaluate((el: HTMLAudioElement) => (Number.isFinite(el.duration) ? el.duration : 0)), { timeout: 10_000 })
    .toBeGreaterThan(messageSeconds - 0.5);
  // The recordings page lists it too, as the caller's voicemail.
  await agent.getByRole('link', { name: 'Recordings' }).click();
  await expect(agent.getByRole('region', { name: 'Recordings' }).getByRole('listitem')).toHaveCount(1);
  await expect(agent.getByRole('region', { name: 'Recordings' })).toContainText('Voicemail from +44 20 7946 0555');
});
