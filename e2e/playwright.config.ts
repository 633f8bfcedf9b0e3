import { defineConfig } from '@playwright/test';
import { CHROMIUM_PATH, chromiumArgs } from './fixtures/chromium.ts';

/** Debian's Chromium with fake camera and microphone; the whole center is started by global setup. */
export default defineConfig({
  testDir: './tests',
  globalSetup: './fixtures/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    actionTimeout: 10_000,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: chromiumArgs(),
    },
  },
});
