/**
 * What the browser benchmarks share: the whole stack on the embedded defaults, Debian's
 * Chromium, an agent who logs in, goes Available and makes a call link, and the median.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { Kysely } from 'kysely';
import { createDb, type Database } from '@cc/migrations';
import { seedOrganisation } from '@cc/routing-service/seed';
import { startStack } from '@cc/stack';
import { CHROMIUM_PATH, chromiumArgs } from '../e2e/fixtures/chromium.ts';

const PASSWORD = 'bench password that is long';

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

export interface BenchCenter {
  url: string;
  db: Kysely<Database>;
  browser: Browser;
  /**
   * A new organisation with one agent, logged in (pages get `instrument` first), Available,
   * with a fresh call link for the customer page (already opened, not yet calling).
   */
  agentWithLink(name: string, instrument: string): Promise<{ agent: Page; customer: Page; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startBenchCenter(): Promise<BenchCenter> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-bench-'));
  const stack = await startStack({ dataDir, port: 0, demo: false, env: { LOG_LEVEL: 'warn' } });
  const db = createDb(stack.databaseUrl, 2);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs() });
  return {
    url: stack.url,
    db,
    browser,
    async agentWithLink(name, instrument) {
      const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
      await seedOrganisation(db, {
        name,
        wrapUpSeconds: 0,
        users: [{ email, name: 'Bench Agent', role: 'agent', password: PASSWORD, status: 'offline' }],
      });
      const agentCtx = await browser.newContext({ baseURL: stack.url });
      const customerCtx = await browser.newContext({ baseURL: stack.url });
      await agentCtx.addInitScript(instrument);
      await customerCtx.addInitScript(instrument);
      const agent = await agentCtx.newPage();
      await agent.goto('/login');
      await agent.getByLabel('Email').fill(email);
      await agent.getByLabel('Password').fill(PASSWORD);
      await agent.getByRole('button', { name: 'Log in' }).click();
      await agent.getByLabel('Status', { exact: true }).selectOption('available');
      const form = agent.getByRole('form', { name: 'New call link' });
      await form.getByLabel('Customer identity').fill(`${name} customer`);
      await form.getByRole('button', { name: 'Create link' }).click();
      const link = agent.getByLabel('Call link', { exact: true });
      await link.waitFor();
      const customer = await customerCtx.newPage();
      await customer.goto(await link.inputValue());
      return {
        agent,
        customer,
        async close() {
          await agentCtx.close();
          await customerCtx.close();
        },
      };
    },
    async close() {
      await browser.close();
      await db.destroy();
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
