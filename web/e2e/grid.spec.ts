import { checkPage, connectedOwner, contactsBase, expect, member, sandboxConfig, sandboxFind, SANDBOX_POLL, scopedToken, connect, register, signInAs, test, timeFirstRows } from './fixtures';

test('a 10,000-record table keeps a few hundred row elements in the DOM while scrolling', async ({ page }) => {
  test.setTimeout(300_000);
  const [account, base] = await Promise.all([register('big'), contactsBase(10_000, 'Big base')]);
  await connect(account.accessToken, await scopedToken([base.id]));
  const table = base.tables[0];
  await signInAs(page, account, `/bases/${base.id}`);
  const grid = page.getByRole('grid', { name: 'Contacts records' });
  // A figure, not an assertion (timings belong to benchmarks): from the click on the table to its
  // first rows, nothing cached (neither in the app nor in the platform).
  const link = page.getByRole('link', { name: /Contacts/ });
  await expect(link).toBeVisible();
  const ms = await timeFirstRows(page, link);
  await expect(grid.getByRole('row', { name: /Person 0001/ })).toBeVisible();
  test.info().annotations.push({ type: 'first rows of 10,000', description: `${ms} ms` });
  console.log(`10,000-record table: first rows shown ${ms} ms after the click`);
  expect(page.url()).toContain(`/tables/${table?.id}`);
  // Scroll through the first thousand records (ten pages, loaded as the grid scrolls).
  const target = grid.locator('[role="row"][aria-rowindex="1001"]');
  let maxRows = 0;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline && !(await target.isVisible()); ) {
    await grid.evaluate((el) => el.scrollBy(0, 2000));
    await page.waitForTimeout(100);
    maxRows = Math.max(maxRows, await grid.locator('[role="row"]').count());
  }
  await expect(target).toContainText('Person 1000');
  maxRows = Math.max(maxRows, await grid.locator('[role="row"]').count());
  expect(maxRows, 'row elements in the DOM at any point').toBeLessThanOrEqual(200);
  // columns are virtualised too: only the ones in view (plus a few) are rendered
  const cellsInRow = await target.locator('[role="gridcell"]').count();
  expect(cellsInRow).toBeLessThanOrEqual(2 + 7);
});

test('the grid works with the keyboard alone: arrows, Enter to edit, Escape to cancel, Tab to commit and move', async ({ page }) => {
  const { account, base, pat } = await connectedOwner('keys', 40);
  const table = base.tables[0];
  await signInAs(page, account, `/bases/${base.id}/tables/${table?.id}`);
  const grid = page.getByRole('grid', { name: 'Contacts records' });
  await expect(grid.getByRole('row', { name: /Person 0001/ })).toBeVisible();

  // Tab from the search box through the toolbar into the grid: one tab stop, on the header.
  await page.getByLabel('Search records').focus();
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    if (await grid.evaluate((g) => g.contains(document.activeElement))) break;
  }
  const focused = () => page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const cell = el?.closest('[role="gridcell"],[role="columnheader"]');
    const row = el?.closest('[role="row"]');
    return { row: row?.getAttribute('aria-rowindex'), col: cell?.getAttribute('aria-colindex'), text: cell?.textContent ?? '' };
  });
  expect(await focused()).toMatchObject({ row: '1', col: '3' });
  await page.keyboard.press('ArrowDown');
  expect(await focused()).toMatchObject({ row: '2', col: '3', text: 'Person 0001' });
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  expect(await focused()).toMatchObject({ row: '3', col: '4', text: 'person0002@example.com' });
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('PageDown');
  const afterPage = await focused();
  expect(Number(afterPage.row)).toBeGreaterThan(5);
  await page.keyboard.press('Control+Home');
  expect(await focused()).toMatchObject({ row: '2', col: '1' });
  await page.keyboard.press('End');
  expect(await focused()).toMatchObject({ row: '2', col: '9' });
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');

  // Enter edits, Escape cancels
  expect(await focused()).toMatchObject({ row: '2', col: '3' });
  await page.keyboard.press('Enter');
  await page.keyboard.type(' nope');
  await page.keyboard.press('Escape');
  expect(await focused()).toMatchObject({ row: '2', col: '3', text: 'Person 0001' });

  // Typing starts an edit; Tab commits and moves to the next cell
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Ada Keyboard');
  await page.keyboard.press('Tab');
  expect(await focused()).toMatchObject({ row: '2', col: '4' });
  await expect(grid.locator('[role="row"][aria-rowindex="2"] [aria-colindex="3"]')).toHaveText('Ada Keyboard');
  await expect.poll(async () => (await sandboxFind(base.id, pat, 'Email', 'person0001@example.com'))?.fields.Name, SANDBOX_POLL).toBe('Ada Keyboard');

  // Space toggles a checkbox field
  await page.keyboard.press('ArrowRight'); // Status
  await page.keyboard.press('ArrowRight'); // Score
  await page.keyboard.press('ArrowRight'); // Active
  expect(await focused()).toMatchObject({ row: '2', col: '7' });
  const active = grid.locator('[role="row"][aria-rowindex="2"] [aria-colindex="7"] [role="img"]');
  await expect(active).toHaveAccessibleName('unchecked');
  await page.keyboard.press('Space');
  await expect(active).toHaveAccessibleName('checked');
  await expect.poll(async () => (await sandboxFind(base.id, pat, 'Email', 'person0001@example.com'))?.fields.Active, SANDBOX_POLL).toBe(true);

  // Sorting from the keyboard: back to the header, Enter on a column
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  expect(await focused()).toMatchObject({ row: '1', col: '6' });
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/sort=Score/);
  await expect(grid.getByRole('columnheader', { name: /^Score/ })).toHaveAttribute('aria-sort', 'ascending');
});

test('an edit Airtable refuses is rolled back and the error is shown', async ({ page }) => {
  const { account, base, pat } = await connectedOwner('rollback', 10);
  const table = base.tables[0];
  await signInAs(page, account, `/bases/${base.id}/tables/${table?.id}`);
  const grid = page.getByRole('grid', { name: 'Contacts records' });
  const cell = grid.locator('[role="row"][aria-rowindex="3"] [aria-colindex="6"]'); // Score of Person 0002
  await expect(cell).toHaveText('74');
  await sandboxConfig({ base: base.id, failAfter: { update: 0 } });
  await cell.dblclick();
  const editor = page.getByRole('textbox', { name: 'Edit Score' });
  await editor.fill('12');
  await editor.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'Could not save Score of “Person 0002” — the change was undone' })).toBeVisible();
  await expect(cell).toHaveText('74');
  await checkPage(page, 'records-edit-failed');
  await sandboxConfig({ base: base.id, failAfter: { update: null } });
  expect((await sandboxFind(base.id, pat, 'Name', 'Person 0002'))?.fields.Score).toBe(74);
});

test('the filter builder narrows the records with a formula, and quotes what is typed', async ({ page }) => {
  const { account, base } = await connectedOwner('filter', 60);
  const table = base.tables[0];
  await signInAs(page, account, `/bases/${base.id}/tables/${table?.id}`);
  const grid = page.getByRole('grid', { name: 'Contacts records' });
  await expect(grid.getByRole('row', { name: /Person 0001/ })).toBeVisible();
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Filter records' });
  await dialog.getByRole('button', { name: '+ Add condition' }).click();
  await dialog.getByLabel('Condition 1 field').selectOption('Status');
  await dialog.getByLabel('Condition 1 value').selectOption('Customer');
  await dialog.getByRole('button', { name: '+ Add condition' }).click();
  await dialog.getByLabel('Condition 2 field').selectOption('Score');
  await dialog.getByLabel('Condition 2 operator').selectOption('gte');
  await dialog.getByLabel('Condition 2 value').fill('50');
  await expect(dialog.locator('.formula-preview')).toHaveText("AND({Status} = 'Customer', {Score} >= 50)");
  await checkPage(page, 'records-filter');
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('button', { name: 'Filter, 2 active' })).toBeVisible();
  // Customers are n % 3 == 1; scores (n*37) % 101 >= 50
  const expected = Array.from({ length: 60 }, (_, i) => i + 1).filter((n) => n % 3 === 1 && (n * 37) % 101 >= 50);
  await expect(page.getByRole('status').filter({ hasText: `${expected.length} records` })).toBeVisible();
  // a quote in a value stays a value
  await page.getByRole('button', { name: 'Filter, 2 active' }).click();
  await dialog.getByLabel('Condition 1 field').selectOption('Name');
  await dialog.getByLabel('Condition 1 operator').selectOption('contains');
  await dialog.getByLabel('Condition 1 value').fill("x') , TRUE()) & ('");
  await dialog.getByRole('button', { name: 'Remove condition 2' }).click();
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await expect(grid.getByText('No records match the search or filter.')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filter' }).click();
  await expect(grid.getByRole('row', { name: /Person 0001/ })).toBeVisible();
});

test('a viewer sees the grid with no edit controls at all', async ({ page }) => {
  const { account, base } = await connectedOwner('owner', 15);
  const viewer = await member(account, 'viewer');
  const table = base.tables[0];
  await signInAs(page, viewer, `/bases/${base.id}/tables/${table?.id}`);
  const grid = page.getByRole('grid', { name: 'Contacts records' });
  await expect(grid.getByRole('row', { name: /Person 0001/ })).toBeVisible();
  await expect(grid).toHaveAttribute('aria-readonly', 'true');
  await expect(page.getByRole('button', { name: /New record/ })).toHaveCount(0);
  await expect(page.getByRole('checkbox')).toHaveCount(0);
  await expect(page.getByText('You have read-only access')).toBeVisible();
  const cell = grid.locator('[role="row"][aria-rowindex="2"] [aria-colindex="2"]');
  await cell.dblclick();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('textbox', { name: /^Edit / })).toHaveCount(0);
  await checkPage(page, 'records-viewer');
});
