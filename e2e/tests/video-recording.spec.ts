/**
 * Video recording (SPEC §13, `audio_and_video`): a video call between the customer's page and
 * the agent desktop (Chromium's fake camera and microphone) in an organisation that records
 * video with merged composition leaves, on local disk, one WebM per leg (VP8 + Opus as the
 * browsers sent them) and the side-by-side composite (agent left, customer right, stereo), and
 * the agent plays the composite in a video player.
 */
import path from 'node:path';
import { probeMedia } from '@cc/recording-composer/testing/video';
import { expect, test } from '../fixtures/center.ts';
import { recordedCall } from '../fixtures/recording.ts';

test('a video call recorded with video: per-leg WebM files and a side-by-side composite', async ({
  seedOrg,
  agentPage,
  customerPage,
  db,
}) => {
  test.setTimeout(120_000);
  const { org, agent } = await recordedCall({ seedOrg, agentPage, customerPage, db }, 'video', {
    composition: 'merged',
    video_mode: 'audio_and_video',
  });

  const call = await db
    .selectFrom('call')
    .select(['id', 'media', 'answered_at', 'ended_at'])
    .where('organisation_id', '=', org.organisationId)
    .executeTakeFirstOrThrow();
  expect(call.media).toBe('video');
  const rows = () =>
    db
      .selectFrom('recording')
      .select(['leg', 'status', 'file_name', 'container', 'channel_layout', 'started_at', 'error'])
      .where('call_id', '=', call.id)
      .orderBy('leg')
      .execute();
  await expect
    .poll(async () => (await rows()).map((r) => `${r.leg}:${r.status}:${r.container}`), { timeout: 60_000 })
    .toEqual(['agent:ready:webm', 'composite:ready:webm', 'customer:ready:webm', 'merged:ready:ogg']);
  const files = await rows();
  const dir = path.join(process.env.E2E_DATA_DIR ?? '', 'recordings');
  const callSeconds = ((call.ended_at?.getTime() ?? 0) - (call.answered_at?.getTime() ?? 0)) / 1000;

  const legWidths: number[] = [];
  for (const leg of files.filter((r) => r.leg === 'agent' || r.leg === 'customer')) {
    expect(leg.file_name).toMatch(/\.webm$/);
    const info = await probeMedia(path.join(dir, leg.file_name ?? ''));
    const video = info.streams.find((s) => s.type === 'video');
    const audio = info.streams.find((s) => s.type === 'audio');
    expect(video?.codec).toBe('vp8');
    expect(video?.frames ?? 0, `${leg.leg} video frames`).toBeGreaterThan(callSeconds * 5);
    expect(audio?.codec).toBe('opus');
    // A leg file starts at the participant's first media (the agent's camera comes up a moment
    // after the answer) and lasts until the hang-up.
    const legSeconds = ((call.ended_at?.getTime() ?? 0) - (leg.started_at?.getTime() ?? 0)) / 1000;
    expect(
      Math.abs(info.durationS - legSeconds),
      `${leg.leg} ${info.durationS} s, leg ${legSeconds} s, call ${callSeconds} s`,
    ).toBeLessThan(0.5);
    legWidths.push(video?.width ?? 0);
  }
  const composite = files.find((r) => r.leg === 'composite');
  expect(composite?.channel_layout).toBe('side_by_side_agent_left_customer_right');
  const info = await probeMedia(path.join(dir, composite?.file_name ?? ''));
  const video = info.streams.find((s) => s.type === 'video');
  const audio = info.streams.find((s) => s.type === 'audio');
  expect(video?.codec).toBe('vp8');
  // Both legs at one height side by side: about twice a leg's width.
  const twice = 2 * Math.max(...legWidths);
  expect(Math.abs((video?.width ?? 0) - twice), `composite ${video?.width ?? 0} px, legs ${legWidths.join(', ')}`).toBeLessThan(
    twice * 0.1,
  );
  expect(audio?.codec).toBe('opus');
  expect(audio?.channels).toBe(2);
  expect(info.tags['CHANNEL_LAYOUT']).toBe('left=agent right=customer');
  expect(Math.abs(info.durationS - callSeconds), `composite ${info.durationS} s, call ${callSeconds} s`).toBeLessThan(0.5);

  // The desktop: a video player for the composite, served as video/webm with byte ranges.
  await agent.goto(new URL('/recordings', agent.url()).toString());
  const item = agent.getByRole('region', { name: 'Recordings' }).getByRole('listitem', { name: /^Side-by-side video/ });
  const player = item.getByLabel('Side-by-side video player');
  await expect(player).toHaveJSProperty('tagName', 'VIDEO');
  await expect
    .poll(() => player.evaluate((el: HTMLVideoElement) => (Number.isFinite(el.duration) ? el.videoWidth : 0)), { timeout: 10_000 })
    .toBeGreaterThan(0);
  await player.evaluate(
    (el: HTMLVideoElement) =>
      new Promise<void>((resolve) => {
        el.addEventListener('seeked', () => resolve(), { once: true });
        el.currentTime = 1;
      }),
  );
  const src = await player.getAttribute('src');
  const ranged = await agent.request.get(src ?? '', { headers: { range: 'bytes=0-99' } });
  expect(ranged.status()).toBe(206);
  expect(ranged.headers()['content-type']).toContain('video/webm');
  await agent.screenshot({ path: test.info().outputPath('recordings-video.png'), fullPage: true });
});
