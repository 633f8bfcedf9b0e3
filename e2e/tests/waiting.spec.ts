/**
 * What a queued customer hears (SPEC §8), measured in Chromium: the greeting (a 1 kHz test
 * tone) plays before the music (400 Hz), the customer hears sound all the while they wait,
 * the music stops when an agent answers, and at the maximum wait the last message (2 kHz)
 * plays before the call ends as timed out.
 */
import type { Page } from '@playwright/test';
import type { PromptView, WaitingStrategyView } from '@cc/contracts';
import { DEFAULT_WAITING_STRATEGY, DEFAULT_WORKING_HOURS } from '@cc/contracts';
import { classify, heard, listen, samples, SOUND_RMS, toneWav } from '../fixtures/audio.ts';
import { createLinkInDesktop, expect, expectMediaFlowing, test } from '../fixtures/center.ts';

const TONES = { greeting: 1000, music: 400, last: 2000, away: 1500 };

async function uploadTone(page: Page, name: string, frequency: number, seconds: number): Promise<PromptView> {
  const res = await page.request.post(`/api/console/prompts/file?name=${encodeURIComponent(name)}&fileName=${name}.wav`, {
    headers: { 'content-type': 'application/octet-stream' },
    data: toneWav(frequency, seconds),
  });
  expect(res.status()).toBe(201);
  return (await res.json()) as PromptView;
}

async function setStrategy(page: Page, queueId: string, strategy: Partial<WaitingStrategyView>): Promise<void> {
  const res = await page.request.put(`/api/console/queues/${queueId}/waiting-strategy`, {
    data: { ...DEFAULT_WAITING_STRATEGY, ...strategy },
  });
  expect(res.status()).toBe(200);
}

/** The customer starts an audio call that waits; returns the track the server plays on (the first with sound). */
async function waitInQueue(page: Page, url: string): Promise<string> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Start audio call' }).click();
  await expect(page.getByRole('status', { name: 'Call status' })).toHaveText(/Waiting for an agent/);
  await listen(page);
  let track = '';
  await expect
    .poll(
      async () => {
        track = (await samples(page)).find((s) => s.rms > SOUND_RMS)?.track ?? '';
        return track;
      },
      { timeout: 15_000 },
    )
    .not.toBe('');
  return track;
}

test('the greeting plays before the music, the customer hears sound while waiting, and the music stops on answer', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Sam Supervisor', role: 'supervisor' }, { name: 'Ada Agent' }] });
  await db.updateTable('queue').set({ aaa_enabled: true }).where('id', '=', org.defaultQueueId).execute();
  const supervisor = await agentPage(org.agents[0]?.email ?? '');
  const greeting = await uploadTone(supervisor, 'Greeting tone', TONES.greeting, 1.5);
  const music = await uploadTone(supervisor, 'Music tone', TONES.music, 1);
  await setStrategy(supervisor, org.defaultQueueId, { greetingEnabled: true, greetingPromptId: greeting.id, musicPromptId: music.id });
  const url = await createLinkInDesktop(supervisor, { identity: 'carol@example.test' });

  const customer = await customerPage();
  const track = await waitInQueue(customer, url);
  // Two seconds of music after the greeting.
  await expect
    .poll(async () => (await samples(customer)).filter((s) => s.track === track && classify(s, TONES) === 'music').length, {
      timeout: 15_000,
    })
    .toBeGreaterThan(40);
  const waiting = (await samples(customer)).filter((s) => s.track === track);
  expect(heard(waiting, track, TONES).slice(0, 2)).toEqual(['greeting', 'music']);
  // From the first sound on, the customer hears something nearly all the time (not silence).
  const fromFirstSound = waiting.slice(waiting.findIndex((s) => s.rms > SOUND_RMS));
  const audible = fromFirstSound.filter((s) => s.rms > SOUND_RMS).length / fromFirstSound.length;
  expect(audible, `share of 50 ms samples with sound while waiting (${fromFirstSound.length} samples)`).toBeGreaterThan(0.9);

  const agent = await agentPage(org.agents[1]?.email ?? '');
  // Available rings at once (the call is waiting), so the badge goes straight on to ringing.
  await agent.getByLabel('Status', { exact: true }).selectOption({ label: 'Available' });
  const popup = agent.getByRole('alertdialog', { name: 'Incoming call' });
  await popup.getByRole('button', { name: 'Answer' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText(/Connected with Ada/);
  const answeredAt = (await samples(customer)).at(-1)?.t ?? 0;
  await expectMediaFlowing(customer, 'audio');
  // The music stopped: its track is silent from shortly after the answer (the jitter buffer drains).
  const afterAnswer = (await samples(customer)).filter((s) => s.track === track && s.t > answeredAt + 600);
  expect(afterAnswer.length).toBeGreaterThan(20);
  expect(afterAnswer.filter((s) => s.rms > SOUND_RMS)).toEqual([]);
});

test('at the maximum wait the last message plays, then the call ends as timed out', async ({ seedOrg, agentPage, customerPage, db }) => {
  const org = await seedOrg({ agents: [{ name: 'Sam Supervisor', role: 'supervisor' }] });
  await db.updateTable('queue').set({ aaa_enabled: true }).where('id', '=', org.defaultQueueId).execute();
  const supervisor = await agentPage(org.agents[0]?.email ?? '');
  const music = await uploadTone(supervisor, 'Music tone', TONES.music, 1);
  const last = await uploadTone(supervisor, 'Last message tone', TONES.last, 1.5);
  await setStrategy(supervisor, org.defaultQueueId, {
    musicPromptId: music.id,
    maxWaitEnabled: true,
    maxWaitSeconds: 5,
    lastMessagePromptId: last.id,
  });
  const url = await createLinkInDesktop(supervisor, { identity: 'dave@example.test' });

  const customer = await customerPage();
  const track = await waitInQueue(customer, url);
  // The last message is heard after the music, while the call is still up.
  await expect.poll(async () => heard(await samples(customer), track, TONES), { timeout: 15_000 }).toContain('last');
  expect(heard(await samples(customer), track, TONES).slice(0, 2)).toEqual(['music', 'last']);
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('Call ended', { timeout: 10_000 });
  await expect(customer.getByText('No agent could take your call in time. Please try again later.')).toBeVisible();
  const lastHeard = (await samples(customer)).filter((s) => s.track === track && classify(s, TONES) === 'last');
  expect(lastHeard.length * 50, 'most of the 1.5 s last message was heard before the call ended').toBeGreaterThan(1000);
  const calls = await db.selectFrom('call').select(['state', 'end_reason']).where('organisation_id', '=', org.organisationId).execute();
  expect(calls).toEqual([{ state: 'timed_out', end_reason: 'max_wait' }]);
});

test('a supervisor makes a speech prompt and sets the waiting strategy in the console, with clear refusals', async ({
  seedOrg,
  agentPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Sam Supervisor', role: 'supervisor' }] });
  const supervisor = await agentPage(org.agents[0]?.email ?? '');
  await supervisor.goto('/console');
  const maker = supervisor.getByRole('form', { name: 'New speech prompt' });
  await maker.getByLabel('Prompt name').fill('Welcome');
  await maker.getByLabel('Text to speak').fill('Thank you for calling. Your call is important to us.');
  await maker.getByLabel('Speech rate').fill('1000');
  await maker.getByRole('button', { name: 'Make prompt' }).click();
  await expect(supervisor.getByRole('alert')).toHaveText('Speech rate must be a whole number of words per minute from 80 to 450.');
  await maker.getByLabel('Speech rate').fill('170');
  await maker.getByRole('button', { name: 'Make prompt' }).click();
  await expect(supervisor.getByRole('status').filter({ hasText: '"Welcome" is ready.' })).toBeVisible();
  const list = supervisor.getByRole('list', { name: 'Prompts' });
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await expect(list).toContainText('Speech · en · default');
  // The preview plays the converted audio.
  const preview = list.getByLabel('Preview Welcome');
  await expect
    .poll(
      async () =>
        preview.evaluate(async (audio: HTMLAudioElement) => {
          await audio.play().catch(() => undefined);
          return Number.isFinite(audio.duration) ? audio.duration : 0;
        }),
      { timeout: 10_000 },
    )
    .toBeGreaterThan(1);

  const strategy = supervisor.getByRole('form', { name: 'Waiting strategy' });
  await strategy.getByLabel('Greeting', { exact: true }).check();
  await strategy.getByRole('button', { name: 'Save waiting strategy' }).click();
  await expect(strategy.getByRole('alert')).toHaveText('Choose the greeting prompt, or switch the greeting off.');
  await strategy.getByLabel('Greeting prompt').selectOption({ label: 'Welcome' });
  await strategy.getByRole('button', { name: 'Save waiting strategy' }).click();
  await expect(strategy.getByRole('status')).toContainText('Waiting strategy saved.');

  // A key for a voicemail during the away message: its settings appear, and are checked.
  await strategy.getByRole('button', { name: 'Add a key' }).click();
  await strategy.getByLabel('Message of key 1').selectOption({ label: 'During the away message' });
  await strategy.getByLabel('Action of key 1').selectOption({ label: 'Leave a voicemail' });
  await strategy.getByLabel('Before the tone').selectOption({ label: 'Welcome' });
  await strategy.getByLabel('Longest message').fill('5');
  await strategy.getByRole('button', { name: 'Save waiting strategy' }).click();
  await expect(strategy.getByRole('alert')).toHaveText('The longest voicemail must be a whole number of seconds from 10 to 600.');
  await strategy.getByLabel('Longest message').fill('60');
  await strategy.getByRole('button', { name: 'Save waiting strategy' }).click();
  await expect(strategy.getByRole('status')).toContainText('Waiting strategy saved.');
  const voicemail = await db
    .selectFrom('waiting_strategy')
    .innerJoin('prompt', 'prompt.id', 'waiting_strategy.voicemail_prompt_id')
    .select(['prompt.name', 'waiting_strategy.voicemail_max_seconds'])
    .where('queue_id', '=', org.defaultQueueId)
    .executeTakeFirstOrThrow();
  expect(voicemail).toEqual({ name: 'Welcome', voicemail_max_seconds: 60 });
  expect(
    await db.selectFrom('response_code').select(['context', 'digit', 'action']).where('queue_id', '=', org.defaultQueueId).execute(),
  ).toEqual([{ context: 'away', digit: '1', action: 'voicemail' }]);

  // Working hours of the queue: a bad interval is refused, then saved.
  const hours = supervisor.getByRole('form', { name: 'Working hours' });
  await hours.getByLabel('Only open during these hours').check();
  await hours.getByLabel('Time zone').selectOption('Europe/Paris');
  await hours.getByLabel('Monday closes').fill('08:00');
  await hours.getByRole('button', { name: 'Save working hours' }).click();
  await expect(hours.getByRole('alert')).toHaveText('An opening interval must end after it starts (use 24:00 for midnight).');
  await hours.getByLabel('Monday closes').fill('18:00');
  await hours.getByRole('button', { name: 'Add an exception' }).click();
  await hours.getByLabel('Exception date').fill('2026-12-25');
  await hours.getByRole('button', { name: 'Save working hours' }).click();
  await expect(hours.getByRole('status')).toHaveText('Working hours saved.');
  const savedHours = await db
    .selectFrom('working_hours')
    .select(['enabled', 'time_zone', 'exceptions'])
    .where('queue_id', '=', org.defaultQueueId)
    .executeTakeFirstOrThrow();
  expect(savedHours).toEqual({
    enabled: true,
    time_zone: 'Europe/Paris',
    exceptions: [{ date: '2026-12-25', closed: true, intervals: [] }],
  });

  // A hold configuration with an announcement, chosen by the queue.
  const holdForm = supervisor.getByRole('form', { name: 'Hold configuration' });
  await supervisor.getByRole('button', { name: 'New hold configuration' }).click();
  await holdForm.getByLabel('Name').fill('Sales hold');
  await holdForm.getByLabel('Announcement', { exact: true }).check();
  await holdForm.getByRole('button', { name: 'Save hold configuration' }).click();
  await expect(holdForm.getByRole('alert')).toHaveText('Choose the announcement prompt, or switch the announcement off.');
  await holdForm.getByLabel('Hold announcement prompt').selectOption({ label: 'Welcome' });
  await holdForm.getByRole('button', { name: 'Save hold configuration' }).click();
  await expect(holdForm.getByRole('status')).toHaveText('Hold configuration "Sales hold" saved.');
  const queueForm = supervisor.getByRole('form', { name: 'Queue' });
  await queueForm.getByLabel('Hold configuration').selectOption({ label: 'Sales hold' });
  await queueForm.getByRole('button', { name: 'Save queue' }).click();
  await expect(supervisor.getByText('Queue "Default" saved.')).toBeVisible();
  const transferForm = supervisor.getByRole('form', { name: 'Transfer music and message' });
  await transferForm.getByLabel('Transfer message').selectOption({ label: 'Welcome' });
  await transferForm.getByRole('button', { name: 'Save transfer settings' }).click();
  await expect(transferForm.getByRole('status')).toHaveText('Transfer music and message saved.');
  const saved = await db
    .selectFrom('waiting_strategy')
    .select(['greeting_enabled', 'music_enabled'])
    .where('queue_id', '=', org.defaultQueueId)
    .execute();
  expect(saved).toEqual([{ greeting_enabled: true, music_enabled: true }]);
});

test('outside working hours nobody is rung: the caller hears the away message and the call ends', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Sam Supervisor', role: 'supervisor' }, { name: 'Ada Agent' }] });
  await db.updateTable('queue').set({ aaa_enabled: true }).where('id', '=', org.defaultQueueId).execute();
  const supervisor = await agentPage(org.agents[0]?.email ?? '');
  const away = await uploadTone(supervisor, 'Away tone', TONES.away, 1.5);
  const res = await supervisor.request.put(`/api/console/queues/${org.defaultQueueId}/working-hours`, {
    data: { ...DEFAULT_WORKING_HOURS, enabled: true, weekly: [], awayMessagePromptId: away.id },
  });
  expect(res.status()).toBe(200);
  const url = await createLinkInDesktop(supervisor, { identity: 'erin@example.test' });
  const agent = await agentPage(org.agents[1]?.email ?? '');
  await agent.getByLabel('Status', { exact: true }).selectOption({ label: 'Available' });

  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('We are closed at the moment');
  await listen(customer);
  await expect
    .poll(async () => (await samples(customer)).filter((s) => classify(s, TONES) === 'away').length, { timeout: 10_000 })
    .toBeGreaterThan(5);
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('Call ended', { timeout: 10_000 });
  await expect(customer.getByText('We are closed at the moment. Please call again during our opening hours.')).toBeVisible();
  await expect(agent.getByRole('status', { name: 'Agent status' })).toHaveAttribute('data-status', 'available');
  const offers = await db
    .selectFrom('call_offer')
    .innerJoin('call', 'call.id', 'call_offer.call_id')
    .select('call_offer.id')
    .where('call.organisation_id', '=', org.organisationId)
    .execute();
  expect(offers, 'no agent was rung').toEqual([]);
});

test('outside working hours the caller presses 1 on the keypad and is promised a callback', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const org = await seedOrg({ agents: [{ name: 'Sam Supervisor', role: 'supervisor' }] });
  await db.updateTable('queue').set({ aaa_enabled: true }).where('id', '=', org.defaultQueueId).execute();
  const supervisor = await agentPage(org.agents[0]?.email ?? '');
  const away = await uploadTone(supervisor, 'Away tone', TONES.away, 1);
  expect(
    (
      await supervisor.request.put(`/api/console/queues/${org.defaultQueueId}/working-hours`, {
        data: { ...DEFAULT_WORKING_HOURS, enabled: true, weekly: [], awayMessagePromptId: away.id },
      })
    ).status(),
  ).toBe(200);
  await setStrategy(supervisor, org.defaultQueueId, {
    responseCodes: [{ context: 'away', digit: '1', action: 'callback' }],
    digitWaitSeconds: 20,
  });
  const url = await createLinkInDesktop(supervisor, { identity: '+44 20 7946 0111' });

  const customer = await customerPage();
  await customer.goto(url);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  const keypad = customer.getByRole('group', { name: 'Keypad' });
  await keypad.getByRole('button', { name: '2', exact: true }).click();
  await expect(customer.getByRole('alert')).toHaveText('That key does nothing now.');
  await keypad.getByRole('button', { name: '1', exact: true }).click();
  await expect(customer.getByRole('status', { name: 'Call status' })).toHaveText('Call ended');
  await expect(customer.getByText('Thank you. We will call you back.')).toBeVisible();
  const requests = await db
    .selectFrom('callback_request')
    .select(['customer_identity', 'status'])
    .where('organisation_id', '=', org.organisationId)
    .execute();
  expect(requests).toEqual([{ customer_identity: '+44 20 7946 0111', status: 'in_queue' }]);
});
