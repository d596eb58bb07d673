import { checkPage, connectedOwner, expect, script, apiCall, signInAs, test } from './fixtures';

test('every data page: bases, tables, the grid, not found — accessible in both themes, photographed', async ({ page }) => {
  const { account, base } = await connectedOwner('tour', 60);
  await signInAs(page, account, '/');
  await expect(page).toHaveURL(/\/bases$/); // connected: home is the data
  await expect(page.getByRole('link', { name: new RegExp(base.name) })).toBeVisible();
  await checkPage(page, 'bases');
  await page.getByRole('link', { name: new RegExp(base.name) }).click();
  await expect(page.getByRole('link', { name: /Contacts/ })).toContainText('7 fields');
  await checkPage(page, 'tables');
  await page.getByRole('link', { name: /Contacts/ }).click();
  const grid = page.getByRole('grid', { name: 'Contacts records' });
  await expect(grid.getByRole('row', { name: /Person 0001/ })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: '60 records' })).toBeVisible();
  await expect(grid).toHaveAttribute('aria-rowcount', '61');
  await expect(page.getByText(/Live from Airtable|From cache/)).toBeVisible();
  await checkPage(page, 'records');
  // the cache: a second read is a hit; Refresh bypasses it
  // (the platform writes its cache entry as it answers: on a busy machine the next read may
  // still miss once)
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(/From cache/)).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Refresh from Airtable' }).click();
  // a read past the cache waits for a send slot of the base's 5 requests/s: slow on a busy machine
  await expect(page.getByText(/Live from Airtable/)).toBeVisible({ timeout: 60_000 });
  // the field picker hides a column
  await page.getByRole('button', { name: 'Fields', exact: true }).click();
  await page.getByRole('dialog', { name: 'Choose fields' }).getByLabel(/^Notes/).uncheck();
  await page.keyboard.press('Escape');
  await expect(grid.getByRole('columnheader', { name: /^Notes/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Fields, 1 hidden' })).toBeVisible();

  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' }).first()).toBeVisible();
  await checkPage(page, 'not-found');
  // back and forward work across the app's pages
  await page.goBack();
  await expect(grid).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: base.name })).toBeVisible();
  await page.goForward();
  await expect(grid).toBeVisible();
});

test('the header and navigation work with the keyboard alone', async ({ page }) => {
  const { account } = await connectedOwner('nav', 3);
  await signInAs(page, account, '/bases');
  await expect(page.getByRole('heading', { name: 'Bases' })).toBeVisible();
  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'PyAirtable home' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: /^Workspace:/ })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Data' })).toBeFocused();
  await expect(page.getByRole('link', { name: 'Data' })).toHaveAttribute('aria-current', 'page');
  for (const name of ['Files', 'Workflows', 'Jobs', 'Usage', 'Chat']) {
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name, exact: true })).toBeFocused();
  }
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/chat$/);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Settings' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/settings\/workspace$/);
  // the settings sections
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Workspace' }).focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/settings\/members$/);
  // the user menu: open with Enter, move with arrows, choose with Enter
  const account_ = page.getByRole('button', { name: /^Account menu for/ });
  await account_.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu');
  await expect(menu).toBeVisible();
  await expect(menu.getByRole('menuitem', { name: 'API keys' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitem', { name: 'Usage and budgets' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(account_).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowUp');
  await expect(page.getByRole('menuitem', { name: 'Sign out' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/signin$/);
});

test('a conversation with history, photographed', async ({ page }) => {
  const { account, base } = await connectedOwner('history', 5);
  const m1 = await script([
    { call: { name: 'describe_table', arguments: { base_id: base.id, table: 'Contacts' } } },
    { text: 'The **Contacts** table has 7 fields:\n\n- Name, Email, Status\n- Score, Active, Signed up, Notes' },
    // the scripted model follows the marker of a conversation's first message: the next turn's answer
    { text: 'Leads are contacts whose `Status` is *Lead*.' },
  ]);
  const r = await apiCall<{ sessionId: string }>('POST', '/api/v1/chat', { message: `What fields does Contacts have? ${m1}`, baseId: base.id }, account.accessToken);
  expect(r.status).toBe(200);
  expect((await apiCall('POST', '/api/v1/chat', { message: 'What is a lead?', sessionId: r.body.sessionId }, account.accessToken)).status).toBe(200);
  await signInAs(page, account, `/chat/${r.body.sessionId}`);
  await expect(page.getByText('Leads are contacts whose')).toBeVisible();
  await expect(page.getByRole('region', { name: /Tool call describe_table, succeeded/ })).toBeVisible();
  await expect(page.locator('.turn-usage')).toHaveCount(2);
  await checkPage(page, 'chat-history');
});
