/**
 * Call set-up latency in the e2e setup (real stack, Debian's Chromium, fake devices), median
 * of N runs (default 10):
 *  - customer "Start call" click → agent's incoming-call pop-up visible;
 *  - agent "Answer" click → first inbound audio packet at the agent, and at the customer.
 * Times are taken inside the browsers (Date.now() on one machine), not from Playwright.
 * Usage: node --import tsx bench/call-setup.ts [runs]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { createDb } from '@cc/migrations';
import { seedOrganisation } from '@cc/routing-service/seed';
import { startStack } from '@cc/stack';
import { CHROMIUM_PATH, chromiumArgs } from '../e2e/fixtures/chromium.ts';

const runs = Number(process.argv[2] ?? 10);
const PASSWORD = 'bench password that is long';

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
 * Resolves with the page time of the first inbound audio packet. A script string, not a
 * function: tsx's name-keeping helpers do not exist inside the page.
 */
const FIRST_AUDIO_PACKET = `new Promise((resolve) => {
  const tick = async () => {
    for (const pc of window.__pcs) {
      const report = await pc.getStats();
      let got = false;
      report.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) got = true; });
      if (got) return resolve(Date.now());
    }
    setTimeout(tick, 5);
  };
  tick();
})`;

function firstAudioPacket(page: Page): Promise<number> {
  return page.evaluate<number>(FIRST_AUDIO_PACKET);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-bench-'));
const stack = await startStack({ dataDir, port: 0, demo: false, env: { LOG_LEVEL: 'warn' } });
const db = createDb(stack.databaseUrl, 2);
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: chromiumArgs(),
});
const popup: number[] = [];
const agentAudio: number[] = [];
const customerAudio: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const email = `bench${i}-${Date.now()}@example.test`;
    await seedOrganisation(db, {
      name: `Bench ${i}`,
      wrapUpSeconds: 0,
      users: [{ email, name: 'Bench Agent', role: 'agent', password: PASSWORD, status: 'offline' }],
    });
    const agentCtx = await browser.newContext({ baseURL: stack.url });
    const customerCtx = await browser.newContext({ baseURL: stack.url });
    await agentCtx.addInitScript(INSTRUMENT);
    await customerCtx.addInitScript(INSTRUMENT);
    const agent = await agentCtx.newPage();
    await agent.goto('/login');
    await agent.getByLabel('Email').fill(email);
    await agent.getByLabel('Password').fill(PASSWORD);
    await agent.getByRole('button', { name: 'Log in' }).click();
    await agent.getByLabel('Status', { exact: true }).selectOption('available');
    const form = agent.getByRole('form', { name: 'New call link' });
    await form.getByLabel('Customer identity').fill(`Customer ${i}`);
    await form.getByRole('button', { name: 'Create link' }).click();
    const link = agent.getByLabel('Call link', { exact: true });
    await link.waitFor();
    const url = await link.inputValue();

    const customer = await customerCtx.newPage();
    await customer.goto(url);
    await customer.getByRole('button', { name: 'Start audio call' }).click();
    await agent.getByRole('alertdialog', { name: 'Incoming call' }).waitFor();
    const startClick = await customer.evaluate(
      () => (window as unknown as { __marks: Record<string, number> }).__marks['click:Start audio call'] ?? 0,
    );
    const popupAt = await agent.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks.popup ?? 0);
    const agentFirst = firstAudioPacket(agent);
    const customerFirst = firstAudioPacket(customer);
    await agent.getByRole('button', { name: 'Answer' }).click();
    const answerClick = await agent.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks['click:Answer'] ?? 0);
    const [a, c] = await Promise.all([agentFirst, customerFirst]);
    popup.push(popupAt - startClick);
    agentAudio.push(a - answerClick);
    customerAudio.push(c - answerClick);
    process.stdout.write(
      `run ${i + 1}: pop-up ${popupAt - startClick} ms, agent audio ${a - answerClick} ms, customer audio ${c - answerClick} ms\n`,
    );
    await customer.getByRole('button', { name: 'Hang up' }).click();
    await agentCtx.close();
    await customerCtx.close();
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
  await browser.close();
  await db.destroy();
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
