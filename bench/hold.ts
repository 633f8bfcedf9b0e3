/**
 * Hold latency in the e2e setup (real stack, Debian's Chromium, fake devices): the delay from
 * the agent's "Hold" click to music energy at the customer, over N holds of one call
 * (default 10), with the median. Times are taken inside the browsers (Date.now() on one
 * machine): the click in the agent's page, and the first 10 ms analyser frame with sound on a
 * received track other than the agent's voice, in the customer's page.
 * Usage: node --import tsx bench/hold.ts [holds]
 */
import type { Page } from '@playwright/test';
import { median, startBenchCenter } from './browser-center.ts';

const holds = Number(process.argv[2] ?? 10);
/** RMS above this is sound. */
const SOUND_RMS = 0.01;

const INSTRUMENT = `(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(...a) { super(...a); window.__pcs.push(this); } };
  window.__marks = {};
  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button') : null;
    if (b) window.__marks['click:' + b.textContent.trim()] = Date.now();
  }, true);
})();`;

/** Reads every received audio track through an analyser (512 samples) kept on the page: [{ id, loud }]. */
const ANALYSE = `(() => {
  const context = window.__ctx ?? (window.__ctx = new AudioContext());
  const analysers = window.__analysers ?? (window.__analysers = new Map());
  void context.resume();
  const out = [];
  for (const pc of window.__pcs) {
    if (pc.connectionState === 'closed') continue;
    for (const receiver of pc.getReceivers()) {
      const track = receiver.track;
      if (!track || track.kind !== 'audio' || track.readyState !== 'live') continue;
      let entry = analysers.get(track.id);
      if (!entry) {
        const analyser = context.createAnalyser();
        analyser.fftSize = 512;
        context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
        entry = { analyser, data: new Float32Array(512) };
        analysers.set(track.id, entry);
      }
      entry.analyser.getFloatTimeDomainData(entry.data);
      let sum = 0;
      for (const v of entry.data) sum += v * v;
      out.push({ id: track.id, loud: Math.sqrt(sum / entry.data.length) > ${SOUND_RMS} });
    }
  }
  return out;
})()`;

/** The track carrying the agent's voice: the one with the most sound over 1.5 s of conversation (10 ms frames). */
const AGENT_TRACK = `new Promise((resolve) => {
  const counts = new Map();
  let n = 0;
  const timer = setInterval(() => {
    for (const t of ${ANALYSE}) counts.set(t.id, (counts.get(t.id) ?? 0) + (t.loud ? 1 : 0));
    if (++n === 150) { clearInterval(timer); resolve([...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ''); }
  }, 10);
})`;

/** Resolves with the page time of the first sound on a received track other than the agent's: the hold music. */
const nextSound = (agentTrack: string) => `new Promise((resolve) => {
  const timer = setInterval(() => {
    for (const t of ${ANALYSE}) if (t.id !== ${JSON.stringify(agentTrack)} && t.loud) { clearInterval(timer); resolve(Date.now()); return; }
  }, 10);
})`;

async function marks(page: Page, name: string): Promise<number> {
  return page.evaluate<number>(`window.__marks[${JSON.stringify(name)}] ?? 0`);
}

const center = await startBenchCenter();
const delays: number[] = [];
try {
  const { agent, customer } = await center.agentWithLink('Bench hold', INSTRUMENT);
  await customer.getByRole('button', { name: 'Start audio call' }).click();
  await agent.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  await customer.getByRole('status', { name: 'Call status' }).filter({ hasText: 'Connected' }).waitFor();
  await customer.waitForTimeout(1000); // media settled
  const agentTrack = await customer.evaluate<string>(AGENT_TRACK);

  for (let i = 0; i < holds; i++) {
    const sound = customer.evaluate<number>(nextSound(agentTrack));
    await agent.getByRole('button', { name: 'Hold', exact: true }).click();
    const clickAt = await marks(agent, 'click:Hold');
    const heardAt = await sound;
    delays.push(heardAt - clickAt);
    process.stdout.write(`hold ${i + 1}: music at the customer ${heardAt - clickAt} ms after the click\n`);
    await customer.waitForTimeout(1500);
    await agent.getByRole('button', { name: 'Resume' }).click();
    await customer.getByRole('status', { name: 'Call status' }).filter({ hasText: 'Connected' }).waitFor();
    await customer.waitForTimeout(1500); // the music's jitter buffer drains, the agent is heard again
  }
  const sorted = [...delays].sort((a, b) => a - b);
  process.stdout.write(
    [
      '',
      `hold → music energy at the customer, ${holds} holds (Debian Chromium, fake devices, loopback):`,
      `  median ${median(delays)} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms`,
      '',
    ].join('\n'),
  );
} finally {
  await center.close();
}
