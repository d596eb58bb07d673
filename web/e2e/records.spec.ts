import { checkPage, contactsBase, expect, sandboxFind, SANDBOX_POLL, scopedToken, test, uniqueEmail, PASSWORD } from './fixtures';

test.describe('the first day of a new user', () => {
  test('sign up, connect Airtable, open a 1,000-record table, scroll, sort, search, edit, add and delete', async ({ page }) => {
    test.setTimeout(300_000);
    const base = await contactsBase(1000, 'Sales CRM');
    const pat = await scopedToken([base.id]);
    const contacts = base.tables.find((t) => t.name === 'Contacts');
    expect(contacts).toBeDefined();

    // ---- sign up
    await page.goto('/');
    await expect(page).toHaveURL(/\/signin$/);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
    await page.getByLabel('Your name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(uniqueEmail('ada'));
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Workspace name (optional)').fill('Analytical Engines');
    await page.getByRole('button', { name: 'Create account' }).click();

    // ---- onboarding: connect the sandbox token, pick the base
    await expect(page).toHaveURL(/\/onboarding/);
    await expect(page.getByRole('heading', { name: 'Welcome, Ada Lovelace' })).toBeVisible();
    await expect(page.getByRole('button', { name: /Workspace: Analytical Engines/ })).toBeVisible();
    await checkPage(page, 'onboarding');
    await page.getByLabel('Airtable personal access token').fill(pat);
    await page.getByRole('button', { name: 'Connect Airtable' }).click();
    await expect(page.getByText('Airtable is connected')).toBeVisible();
    await expect(page.getByText('Bases found')).toBeVisible();
    // the token is never shown back
    await expect(page.locator('body')).not.toContainText(pat);
    await expect(page.getByLabel('Sales CRM')).toBeChecked(); // the only base is picked
    await checkPage(page, 'onboarding-connected');
    await page.getByRole('link', { name: 'Contacts' }).click();

    // ---- the grid: first rows before anything is counted
    await expect(page).toHaveURL(new RegExp(`/bases/${base.id}/tables/${contacts?.id}`));
    const grid = page.getByRole('grid', { name: 'Contacts records' });
    await expect(grid.getByRole('row', { name: /Person 0001/ })).toBeVisible();
    await expect(grid).toHaveAttribute('aria-rowcount', '-1');
    await expect(page.getByRole('status').filter({ hasText: 'loaded' })).toBeVisible();

    // ---- scroll to record 250 (pages load as the grid scrolls)
    const row250 = grid.locator('[role="row"][aria-rowindex="251"]');
    for (const deadline = Date.now() + 90_000; Date.now() < deadline && !(await row250.isVisible()); ) {
      await grid.evaluate((el) => el.scrollBy(0, 900));
      await page.waitForTimeout(150);
    }
    await expect(row250).toBeVisible();
    await expect(row250).toContainText('Person 0250');

    // ---- sort by Name, descending (click twice)
    const nameHeader = grid.getByRole('columnheader', { name: /^Name/ });
    await nameHeader.getByRole('button').click();
    await expect(page).toHaveURL(/sort=Name/);
    await nameHeader.getByRole('button').click();
    await expect(page).toHaveURL(/sort=-Name/);
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(grid.locator('[role="row"][aria-rowindex="2"]')).toContainText('Person 1000');
    // shift-click adds a second sort key
    await grid.getByRole('columnheader', { name: /^Score/ }).getByRole('button').click({ modifiers: ['Shift'] });
    await expect(page).toHaveURL(/sort=-Name%2CScore|sort=-Name,Score/);
    await page.getByRole('button', { name: 'Clear sort' }).click();

    // ---- search
    await page.getByLabel('Search records').fill('person0777@');
    await expect(grid.locator('[role="row"][aria-rowindex="2"]')).toContainText('Person 0777');
    await expect(grid).toHaveAttribute('aria-rowcount', '2'); // the header and one record, counted
    await expect(page.getByRole('status').filter({ hasText: /^1 record$/ })).toBeVisible();

    // ---- edit a cell: Enter, type, Enter — and the sandbox has it
    const nameCell = grid.locator('[role="row"][aria-rowindex="2"] [role="gridcell"][aria-colindex="3"]');
    await expect(nameCell).toHaveText('Person 0777');
    await nameCell.click();
    await page.keyboard.press('Enter');
    const editor = page.getByRole('textbox', { name: 'Edit Name' });
    await expect(editor).toBeFocused();
    await editor.fill('Person 0777 (edited)');
    await page.keyboard.press('Enter');
    await expect(nameCell).toHaveText('Person 0777 (edited)');
    await expect(nameCell).toBeFocused();
    await expect
      .poll(async () => (await sandboxFind(base.id, pat, 'Email', 'person0777@example.com'))?.fields.Name, SANDBOX_POLL)
      .toBe('Person 0777 (edited)');

    // ---- the record drawer: every field and a link to Airtable
    await grid.getByRole('button', { name: 'Open Person 0777 (edited)' }).click();
    const drawer = page.getByRole('dialog', { name: 'Person 0777 (edited)' });
    await expect(drawer).toBeVisible();
    await expect(drawer.getByText('person0777@example.com')).toBeVisible();
    const recordId = (await sandboxFind(base.id, pat, 'Email', 'person0777@example.com'))?.id;
    await expect(drawer.getByRole('link', { name: /Open in Airtable/ })).toHaveAttribute('href', `https://airtable.com/${base.id}/${contacts?.id}/${recordId}`);
    await checkPage(page, 'record-drawer');
    await page.keyboard.press('Escape');
    await expect(drawer).toBeHidden();
    await expect(page).toHaveURL(/q=person0777/); // closing keeps the search

    // ---- add a row
    await page.getByLabel('Search records').fill('');
    await page.getByRole('button', { name: '+ New record' }).click();
    const dialog = page.getByRole('dialog', { name: 'New record in Contacts' });
    await dialog.getByLabel('Name').fill('Grace Hopper');
    await dialog.getByLabel('Email').fill('grace@example.com');
    await dialog.getByLabel('Status').selectOption('Lead');
    await dialog.getByLabel('Score').fill('88');
    await checkPage(page, 'records-new-record');
    await dialog.getByRole('button', { name: 'Create record' }).dblclick();
    await expect(dialog).toBeHidden();
    await expect(grid.getByRole('row', { name: /Grace Hopper/ })).toBeVisible();
    await expect.poll(async () => (await sandboxFind(base.id, pat, 'Name', 'Grace Hopper')) !== undefined, SANDBOX_POLL).toBe(true);

    // ---- delete it (with confirmation)
    await grid.getByRole('checkbox', { name: 'Select Grace Hopper' }).check();
    await page.getByRole('button', { name: 'Delete 1 selected' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete 1 record?' });
    await expect(confirm).toContainText('Grace Hopper');
    await checkPage(page, 'records-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete 1 record' }).click();
    await expect(confirm).toBeHidden();
    await expect(grid.getByRole('row', { name: /Grace Hopper/ })).toHaveCount(0);
    await expect.poll(async () => (await sandboxFind(base.id, pat, 'Name', 'Grace Hopper')) === undefined, SANDBOX_POLL).toBe(true);

    // ---- back and forward keep the table's state
    await page.goBack();
    await page.goForward();
    await expect(grid).toBeVisible();
  });
});
