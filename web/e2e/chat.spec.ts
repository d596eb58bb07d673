import { apiCall, checkPage, connectedOwner, expect, script, signInAs, test } from './fixtures';

test('a question streams an answer with a tool card, its cost and tokens; Markdown is rendered and HTML never runs', async ({ page }) => {
  const { account, base } = await connectedOwner('chat', 5);
  const marker = await script([
    { call: { name: 'get_records', arguments: { base_id: base.id, table: 'Contacts', max_records: 3 } } },
    {
      text: `There are **3** contacts in _Contacts_:\n\n| # | Name |\n|---|---|\n| 1 | Person 0001 |\n\n<img src="x" onerror="window.__xss = 1"> <script>window.__xss = 2</script> [bad](javascript:window.__xss=3)`,
      pieces: 12,
      delayMs: 40,
    },
  ]);
  await signInAs(page, account, `/chat?base=${base.id}`);
  await expect(page.getByRole('heading', { name: 'New conversation' })).toBeVisible();
  await expect(page.getByRole('button', { name: /Base/ })).toContainText('E2E');
  await checkPage(page, 'chat-empty');

  await page.getByLabel('Message').fill(`How many contacts? ${marker}`);
  await page.getByLabel('Message').press('Enter');
  const answer = page.locator('.turn').last();
  const card = answer.getByRole('region', { name: /Tool call get_records/ });
  await expect(card).toBeVisible();
  await expect(card).toContainText('succeeded');
  await expect(card).toContainText('3 records');
  await expect(answer.locator('.markdown strong')).toHaveText('3');
  await expect(answer.locator('.markdown table')).toBeVisible();
  await expect(answer.getByText(/\$\d/).first()).toBeVisible();
  await expect(answer.locator('.turn-usage')).toContainText(/in \/ \d+ out tokens · 2 model calls/);
  // the answer is saved: the URL names the session, the card offers the full result
  await expect(page).toHaveURL(/\/chat\/cht_/);
  await card.getByText('Arguments').click();
  await expect(card.locator('pre').first()).toContainText('"max_records": 3');
  await card.getByRole('button', { name: 'Show full result' }).click();
  await expect(card.locator('.tool-result')).toContainText('person0001@example.com');
  // nothing the model wrote as HTML ran or was rendered
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(answer.locator('.markdown img, .markdown script')).toHaveCount(0);
  await expect(answer.getByRole('link', { name: 'bad' })).not.toHaveAttribute('href', /javascript/);
  // the session list shows it, newest first, and the budget meter counts the spend
  await expect(page.getByRole('link', { name: /How many contacts/ })).toBeVisible();
  await expect(page.getByRole('region', { name: /LLM spend this month/ })).toContainText(/\$0\.\d+/);
  await card.getByRole('button', { name: 'Hide full result' }).click();
  await checkPage(page, 'chat');
});

test('Stop ends a slow answer and nothing more arrives', async ({ page }) => {
  const { account } = await connectedOwner('stop', 3);
  const slow = await script([{ text: 'word '.repeat(40), pieces: 40, delayMs: 250 }]);
  await signInAs(page, account, '/chat');
  await page.getByLabel('Message').fill(`Tell me a long story ${slow}`);
  await page.getByRole('button', { name: 'Send' }).click();
  const stop = page.getByRole('button', { name: 'Stop', exact: true });
  await expect(stop).toBeVisible();
  await expect(page.locator('.turn').last().locator('.markdown')).toContainText('word');
  await stop.click();
  await expect(page.getByText('You stopped this answer.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
  const text = await page.locator('.turn').last().locator('.markdown').textContent();
  await page.waitForTimeout(600);
  // nothing more arrives after Stop
  expect(await page.locator('.turn').last().locator('.markdown').textContent()).toBe(text);
});

test('clear states: the budget is spent (429), and a model failure ends the stream with an error event', async ({ page }) => {
  const { account } = await connectedOwner('budget', 3);
  await signInAs(page, account, '/chat');
  // a model call that fails: the stream ends with an `error` event
  const failing = await script([{ fail: { status: 400, message: 'the scripted model broke' } }]);
  await page.getByLabel('Message').fill(`Will this work? ${failing}`);
  await page.getByRole('button', { name: 'Send' }).click();
  const failed = page.getByRole('alert').filter({ hasText: 'The answer failed' });
  await expect(failed).toBeVisible();
  await expect(failed).toContainText('the language model refused the request');
  await expect(failed).toContainText('the scripted model broke');
  await checkPage(page, 'chat-error');

  // a budget of zero: refused before the model runs
  const put = await apiCall('PUT', '/api/v1/budgets', { tenantMonthlyUsd: 0, userMonthlyUsd: null, alertThreshold: 0.8 }, account.accessToken);
  expect(put.status).toBe(200);
  await page.reload();
  await page.getByLabel('Message').fill('Anything at all');
  await page.getByRole('button', { name: 'Send' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'Monthly budget reached' });
  await expect(refused).toBeVisible();
  await expect(refused).toContainText('monthly LLM budget');
  await expect(refused.getByRole('link', { name: 'See the budgets' })).toBeVisible();
  await checkPage(page, 'chat-budget-exceeded');
});

test('conversations can be opened from the list and deleted', async ({ page }) => {
  const { account } = await connectedOwner('sessions', 3);
  const first = await script([{ text: 'First answer.' }]);
  const second = await script([{ text: 'Second answer.' }]);
  for (const m of [`First question ${first}`, `Second question ${second}`]) {
    const r = await apiCall('POST', '/api/v1/chat', { message: m }, account.accessToken);
    expect(r.status).toBe(200);
  }
  await signInAs(page, account, '/chat');
  const items = page.locator('.session-list li');
  await expect(items).toHaveCount(2);
  await expect(items.first()).toContainText('Second question'); // newest first
  await items.last().getByRole('link').click();
  await expect(page.getByText('First answer.')).toBeVisible();
  await expect(page).toHaveURL(/\/chat\/cht_/);
  await page.getByRole('button', { name: /Delete conversation “First question/ }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete conversation' }).click();
  await expect(items).toHaveCount(1);
  await expect(page).toHaveURL(/\/chat$/);
});

test('a tool card shows the full result while the answer is still streaming', async ({ page }) => {
  const { account, base } = await connectedOwner('liveresult', 3);
  const marker = await script([
    { call: { name: 'get_records', arguments: { base_id: base.id, table: 'Contacts', max_records: 2 } } },
    { text: 'slowly '.repeat(40), pieces: 40, delayMs: 300 },
  ]);
  await signInAs(page, account, '/chat');
  await page.getByLabel('Message').fill(`Show me two contacts ${marker}`);
  await page.getByRole('button', { name: 'Send' }).click();
  const card = page.locator('.turn').last().getByRole('region', { name: /Tool call get_records, succeeded/ });
  await expect(card).toBeVisible();
  // still streaming: the result came with tool_call_finished, not from the saved session
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
  await card.getByRole('button', { name: 'Show full result' }).click();
  await expect(card.locator('.tool-result')).toContainText('person0002@example.com');
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
});
