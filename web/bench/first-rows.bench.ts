// How long a table of 10,000 records takes to show its first rows, from the click on its name:
// the first open (nothing cached by the app or the platform) and five more (the platform's
// response cache warm, the app's query cache cleared by a reload). Printed, never asserted.
import type { Page } from '@playwright/test';
import { connect, contactsBase, expect, register, scopedToken, signInAs, test, timeFirstRows } from '../e2e/fixtures';

async function openTable(page: Page, baseId: string): Promise<number> {
  await page.goto(`/bases/${baseId}`);
  const link = page.getByRole('link', { name: /Contacts/ });
  await expect(link).toBeVisible();
  return timeFirstRows(page, link);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

test('first rows of a 10,000-record table', async ({ page }) => {
  const [account, base] = await Promise.all([register('bench'), contactsBase(10_000, 'Bench base')]);
  await connect(account.accessToken, await scopedToken([base.id]));
  await signInAs(page, account, `/bases/${base.id}`);
  const cold = await openTable(page, base.id);
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.reload();
    warm.push(await openTable(page, base.id));
  }
  const rows = await page.locator('[role="row"]').count();
  console.log(`\n10,000-record table, click to first rows: first open ${cold} ms; cached ${warm.join(', ')} ms (median ${median(warm)} ms); ${rows} row elements in the DOM\n`);
});
