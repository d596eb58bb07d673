// `make bench`: figures, not tests — the same stack and browser as the suite, one worker so the
// samples do not compete, and nothing asserted about time.
import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: /\.bench\.ts$/,
  outputDir: '../e2e-results/bench-artifacts',
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  timeout: 600_000,
});
