import type { Page, Response } from '@playwright/test';
import { apiCall, checkPage, connectedOwner, expect, member, script, signInAs, test } from './fixtures';

interface Period {
  period: string;
  apiRequests: { total: number };
  airtable: { requests: number; throttled: number; recordsRead: number; recordsWritten: number; cacheHits: number; cacheMisses: number };
  llm: { calls: number; inputTokens: number; outputTokens: number; costUsd: number };
}
interface Usage {
  granularity: string;
  periods: Period[];
  totals: Period;
}
interface Costs {
  models: { key: string; calls: number; inputTokens: number; outputTokens: number; costUsd: number }[];
  users: { key: string; calls: number; costUsd: number }[];
}

/** The numbers of a table view, row by row (the row header, the period's name, left out). */
async function cells(page: Page, testId: string): Promise<string[][]> {
  return page.getByTestId(testId).locator('tbody tr').evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent ?? '')));
}

function answer(page: Page, part: string): Promise<Response> {
  return page.waitForResponse((r) => r.url().includes(part) && r.request().method() === 'GET' && r.status() === 200);
}

test('usage charts: every table view holds exactly the figures /api/v1/analytics gave, per day and per hour', async ({ page }) => {
  const { account, base } = await connectedOwner('usage', 5);
  // some use to count: a chat turn (LLM cost, a tool call) and record reads
  const marker = await script([{ call: { name: 'get_records', arguments: { base_id: base.id, table: 'Contacts', max_records: 2 } } }, { text: 'Two contacts.' }]);
  expect((await apiCall('POST', '/api/v1/chat', { message: `Two contacts please ${marker}`, baseId: base.id }, account.accessToken)).status).toBe(200);
  expect((await apiCall('GET', `/api/v1/records?baseId=${base.id}&table=Contacts`, undefined, account.accessToken)).status).toBe(200);

  const usageAnswer = answer(page, '/api/v1/analytics/usage');
  const costsAnswer = answer(page, '/api/v1/analytics/costs');
  await signInAs(page, account, '/usage');
  const usage = (await (await usageAnswer).json()) as Usage;
  const costs = (await (await costsAnswer).json()) as Costs;
  await expect(page.getByRole('heading', { name: 'Usage and costs' })).toBeVisible();
  expect(usage.granularity).toBe('day');
  expect(usage.periods).toHaveLength(7);
  for (const name of ['requests', 'records read and written', 'cache hit ratio', 'llm cost per day', 'tool calls by tool', 'llm cost by model', 'llm cost by member']) {
    await page.getByText(`Table view: ${name}`, { exact: true }).click();
  }
  expect(await cells(page, 'table-requests')).toEqual(usage.periods.map((p) => [p.apiRequests.total, p.airtable.requests, p.airtable.throttled].map(String)));
  expect(await cells(page, 'table-records')).toEqual(usage.periods.map((p) => [p.airtable.recordsRead, p.airtable.recordsWritten].map(String)));
  expect((await cells(page, 'table-cache')).map((r) => r.slice(0, 2))).toEqual(usage.periods.map((p) => [p.airtable.cacheHits, p.airtable.cacheMisses].map(String)));
  expect(await cells(page, 'table-cost')).toEqual(usage.periods.map((p) => [p.llm.calls, p.llm.inputTokens, p.llm.outputTokens, p.llm.costUsd].map(String)));
  expect(await cells(page, 'table-models')).toEqual(costs.models.map((m) => [m.calls, m.inputTokens, m.outputTokens, m.costUsd].map(String)));
  expect((await cells(page, 'table-members')).map((r) => r.at(-1))).toEqual(costs.users.map((u) => String(u.costUsd)));
  // what the chat spent is there, and a fresh read of the API agrees (nothing has spent since)
  expect(usage.totals.llm.costUsd).toBeGreaterThan(0);
  const fresh = await apiCall<Usage>('GET', `/api/v1/analytics/usage?from=${usage.periods[0]?.period}`, undefined, account.accessToken);
  expect(fresh.body.periods.map((p) => p.llm.costUsd)).toEqual(usage.periods.map((p) => p.llm.costUsd));
  await expect(page.getByTestId('table-tools').getByRole('row', { name: /get_records/ })).toBeVisible();
  await expect(page.getByRole('meter', { name: 'Workspace' }).or(page.getByText('no limit').first())).toBeVisible();
  await checkPage(page, 'usage');

  // 24 hours, by the hour
  const hourly = answer(page, 'granularity=hour');
  await page.getByRole('button', { name: '24 hours' }).click();
  const byHour = (await (await hourly).json()) as Usage;
  expect(byHour.periods).toHaveLength(24);
  await page.getByText('Table view: requests', { exact: true }).click();
  await expect(page.getByTestId('table-requests').locator('tbody tr')).toHaveCount(24);
  expect(await cells(page, 'table-requests')).toEqual(byHour.periods.map((p) => [p.apiRequests.total, p.airtable.requests, p.airtable.throttled].map(String)));
  await checkPage(page, 'usage-24h');

  // a member sees their own figures
  const someone = await member(account, 'member');
  await signInAs(page, someone, '/usage');
  await expect(page.getByText('Your own use')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Your LLM cost' })).toBeVisible();
});
