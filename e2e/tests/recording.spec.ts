/**
 * Recording (SPEC §13): an answered call in an organisation that records calls leaves, on
 * local disk under the stack's data folder, an Ogg Opus file per leg and the merged stereo
 * file (agent left, customer right), each filed as a ready `recording` row once stored; the
 * agent finds them in the call's timeline and the recordings page, plays the stereo file
 * (and seeks in it) and downloads its metadata.
 */
import path from 'node:path';
import { decode, energy, probe } from '@cc/recording-composer/testing/audio';
import { expect, test } from '../fixtures/center.ts';
import { recordedCall } from '../fixtures/recording.ts';

test('an answered call is recorded: per-leg files and a merged stereo file on local disk', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  const { org, agent } = await recordedCall({ seedOrg, agentPage, customerPage, db }, 'audio', { composition: 'merged' });

  const call = await db
    .selectFrom('call')
    .select(['id', 'conversation_id', 'answered_at', 'ended_at'])
    .where('organisation_id', '=', org.organisationId)
    .executeTakeFirstOrThrow();
  const rows = () =>
    db
      .selectFrom('recording')
      .select(['leg', 'status', 'file_name', 'channel_layout', 'duration_ms', 'error'])
      .where('call_id', '=', call.id)
      .orderBy('leg')
      .execute();
  await expect
    .poll(async () => (await rows()).map((r) => `${r.leg}:${r.status}`), { timeout: 15_000 })
    .toEqual(['agent:ready', 'customer:ready', 'merged:ready']);
  const files = await rows();
  const merged = files.find((r) => r.leg === 'merged');
  expect(merged?.channel_layout).toBe('stereo_agent_left_customer_right');
  expect(merged?.file_name).toMatch(new RegExp(`^${call.conversation_id}_Ada-Lovelace_\\+44-20-7946-0958_\\d{14}\\.opus$`));

  const dir = path.join(process.env.E2E_DATA_DIR ?? '', 'recordings');
  const callSeconds = ((call.ended_at?.getTime() ?? 0) - (call.answered_at?.getTime() ?? 0)) / 1000;
  const mergedPath = path.join(dir, merged?.file_name ?? '');
  const info = await probe(mergedPath);
  expect(info.codec).toBe('opus');
  expect(info.channels).toBe(2);
  expect(Math.abs(info.durationS - callSeconds), `merged ${info.durationS} s, call ${callSeconds} s`).toBeLessThan(0.5);
  const [left, right] = await decode(mergedPath, 2);
  // Chromium's fake microphone beeps: both the agent (left) and the customer (right) are heard.
  expect(Math.max(...energy(left ?? new Int16Array()))).toBeGreaterThan(1000);
  expect(Math.max(...energy(right ?? new Int16Array()))).toBeGreaterThan(1000);
  for (const leg of files.filter((r) => r.leg !== 'merged')) {
    const legInfo = await probe(path.join(dir, leg.file_name ?? ''));
    expect(legInfo.codec).toBe('opus');
    expect(legInfo.channels).toBe(1);
    const said = `${leg.leg} ${legInfo.durationS} s, call ${callSeconds} s`;
    if (leg.leg === 'customer') {
      expect(Math.abs(legInfo.durationS - callSeconds), said).toBeLessThan(0.5);
    } else {
      // The agent's media connects only after the answer (bench:call-setup measures it): their
      // leg begins with their first packet, up to a little over a second after the call's answer time.
      expect(legInfo.durationS, said).toBeLessThan(callSeconds + 0.5);
      expect(legInfo.durationS, said).toBeGreaterThan(callSeconds - 1.5);
    }
  }

  // The desktop: the call's timeline lists the conversation's recordings, the stereo file first.
  await agent.getByRole('link', { name: 'History' }).click();
  await agent
    .getByRole('table', { name: 'Calls' })
    .getByRole('button', { name: /Timeline for/ })
    .click();
  const listed = agent.getByRole('region', { name: 'Timeline' }).getByRole('region', { name: 'Recordings' });
  await expect(listed.getByRole('listitem')).toHaveCount(3);
  const stereo = listed.getByRole('listitem', { name: 'Stereo recording' });
  await expect(stereo).toContainText('agent left, customer right');
  await expect(listed.getByRole('listitem', { name: 'Agent leg' })).toBeVisible();
  await expect(listed.getByRole('listitem', { name: 'Customer leg' })).toBeVisible();
  await expect(stereo.getByRole('button', { name: 'Delete' }), 'agents cannot delete').toHaveCount(0);

  // The player: the whole call's duration, and seeking works (byte ranges).
  const player = stereo.getByLabel('Stereo recording player');
  await expect
    .poll(() => player.evaluate((el: HTMLAudioElement) => (Number.isFinite(el.duration) ? el.duration : 0)), { timeout: 10_000 })
    .toBeGreaterThan(callSeconds - 0.5);
  expect(await player.evaluate((el: HTMLAudioElement) => el.duration)).toBeLessThan(callSeconds + 0.5);
  await player.evaluate(
    (el: HTMLAudioElement) =>
      new Promise<void>((resolve) => {
        el.addEventListener('seeked', () => resolve(), { once: true });
        el.currentTime = 1;
      }),
  );

  // Download: the file and a .csv of its metadata.
  const csvHref = await stereo.getByRole('link', { name: 'Download metadata (.csv)' }).getAttribute('href');
  const csv = await agent.request.get(csvHref ?? '');
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain(`${merged?.file_name ?? ''},Ada Lovelace,+44 20 7946 0958,${call.conversation_id},${call.id},merged`);
  const fileHref = await stereo.getByRole('link', { name: 'Download file' }).getAttribute('href');
  const file = await agent.request.get(fileHref ?? '');
  expect(file.headers()['content-disposition']).toContain('attachment');

  // The recordings page lists the same three files.
  await agent.getByRole('link', { name: 'Recordings' }).click();
  await expect(agent.getByRole('region', { name: 'Recordings' }).getByRole('listitem')).toHaveCount(3);
});
