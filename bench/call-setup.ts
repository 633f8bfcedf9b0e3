/**
 * Call set-up latency in the e2e setup (real stack, Debian's Chromium, fake devices), median
 * of N runs (default 10):
 *  - customer "Start call" click → agent's incoming-call pop-up visible;
 *  - agent "Answer" click → first inbound audio packet at the agent, and at the customer.
 * Times are taken inside the browsers (Date.now() on one machine), not from Playwright.
 * Usage: node --import tsx bench/call-setup.ts [runs]
 */
import type { Page } from '@playwright/test';
import { median, startBenchCenter } from './browser-center.ts';

const runs = Number(process.argv[2] ?? 10);

/** Stamps clicks on named buttons and the moment the pop-up appears, in page time. */
const INSTRUMENT = `(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(...a) { super(...a); window.__pcs.push(this); } };
  window.__marks = {};
  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button') : null;
    if (b) window.__marks['click:' + b.textContent.trim()] = Date.now();
  }, true);
  new MutationObserver(() => {
    if (!window.__marks.popup && document.querySelector('[role="alertdialog"][aria-label="Incoming call"]')) window.__marks.popup = Date.now();
  }).observe(document, { subtree: true, childList: true });
})();`;

/**
 * Resolves with the page time of the first inbound audio packet of a stream not in `known`. A script string, not a
 * function: tsx's name-keeping helpers do not exist inside the page.
 */
const FIRST_AUDIO_PACKET = (known: readonly number[]) => `new Promise((resolve) => {
  const known = new Set(${JSON.stringify(known)});
  const tick = async () => {
    for (const pc of window.__pcs) {
      const report = await pc.getStats();
      let got = false;
      report.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0 && !known.has(s.ssrc)) got = true; });
      if (got) return resolve(Date.now());
    }
    setTimeout(tick, 5);
  };
  tick();
})`;

/** The SSRCs of the audio the page already receives (the customer hears the waiting music before the answer). */
const AUDIO_SSRCS = `(async () => {
  const ssrcs = [];
  for (const pc of window.__pcs) (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') ssrcs.push(s.ssrc); });
  return ssrcs;
})()`;

/** The page time of the first audio packet of a stream it did not receive before: the other side's voice. */
async function watchFirstAudioPacket(page: Page): Promise<{ first: Promise<number> }> {
  const known = await page.evaluate<number[]>(AUDIO_SSRCS);
  // Wrapped: an async function would wait for the packet itself before the answer is clicked.
  return { first: page.evaluate<number>(FIRST_AUDIO_PACKET(known)) };
}

const center = await startBenchCenter();
const popup: number[] = [];
const agentAudio: number[] = [];
const customerAudio: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const call = await center.agentWithLink(`Bench ${i}`, INSTRUMENT);
    const { agent, customer } = call;
    await customer.getByRole('button', { name: 'Start audio call' }).click();
    await agent.getByRole('alertdialog', { name: 'Incoming call' }).waitFor();
    const startClick = await customer.evaluate(
      () => (window as unknown as { __marks: Record<string, number> }).__marks['click:Start audio call'] ?? 0,
    );
    const popupAt = await agent.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks.popup ?? 0);
    // The customer hears the waiting music first: its stream must be known before the answer.
    await customer.evaluate<number>(FIRST_AUDIO_PACKET([]));
    const [agentFirst, customerFirst] = await Promise.all([watchFirstAudioPacket(agent), watchFirstAudioPacket(customer)]);
    await agent.getByRole('button', { name: 'Answer' }).click();
    const answerClick = await agent.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks['click:Answer'] ?? 0);
    const [a, c] = await Promise.all([agentFirst.first, customerFirst.first]);
    popup.push(popupAt - startClick);
    agentAudio.push(a - answerClick);
    customerAudio.push(c - answerClick);
    process.stdout.write(
      `run ${i + 1}: pop-up ${popupAt - startClick} ms, agent audio ${a - answerClick} ms, customer audio ${c - answerClick} ms\n`,
    );
    await customer.getByRole('button', { name: 'Hang up' }).click();
    await call.close();
  }
  process.stdout.write(
    [
      '',
      `call set-up, median of ${runs} runs (Debian Chromium, fake devices, loopback):`,
      `  "Start call" click → agent pop-up:              ${median(popup)} ms`,
      `  "Answer" click → first audio packet at agent:   ${median(agentAudio)} ms`,
      `  "Answer" click → first audio packet at customer: ${median(customerAudio)} ms`,
      '',
    ].join('\n'),
  );
} finally {
  await center.close();
}
