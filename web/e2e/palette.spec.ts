import type { Locator, Page } from '@playwright/test';
import { apiCall, checkPage, connectedOwner, expect, member, peopleCsv, register, signInAs, test, uploadOverApi } from './fixtures';

async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('not reached by Tab');
}

test('an import with the keyboard alone; Ctrl+K jumps elsewhere meanwhile, and a toast says when the import is done', async ({ page }) => {
  test.setTimeout(240_000);
  const { account, base } = await connectedOwner('kbimport', 3);
  const fileId = await uploadOverApi(account, 'keyboard.csv', peopleCsv(300, 'Keyed'));
  await signInAs(page, account, `/files/${fileId}`);
  await expect(page.getByRole('heading', { name: 'keyboard.csv' })).toBeVisible();
  await page.locator('body').focus();
  await tabTo(page, page.getByRole('link', { name: 'Import into Airtable' }));
  await page.keyboard.press('Enter');
  const name = page.getByLabel('Name of the new table');
  await expect(name).toBeVisible();
  await expect(page.getByLabel('Base')).toHaveValue(base.id);
  await tabTo(page, name);
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Keyed people');
  // skip a column: its field name cleared from the keyboard
  await tabTo(page, page.getByLabel('Field for Active'));
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await expect(page.getByText('4 of 5 columns mapped')).toBeVisible();
  await tabTo(page, page.getByRole('button', { name: 'Import 300 rows' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/jobs\/sag_/);

  // the palette: Ctrl+K, type, Enter
  await page.keyboard.press('Control+k');
  const input = page.getByRole('combobox', { name: 'Jump to a page, table, workflow or conversation' });
  await expect(input).toBeFocused();
  await page.keyboard.type('bases');
  await expect(page.getByRole('option', { name: /Bases/ }).first()).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/bases$/);
  // the outcome arrives where the user is
  const toast = page.locator('.toast').filter({ hasText: 'The import of keyboard.csv into the new table “Keyed people” finished: 300 records written.' });
  await expect(toast).toBeVisible({ timeout: 180_000 });
  await toast.getByRole('link', { name: 'See the import' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status').filter({ hasText: 'Import completed' })).toBeVisible();
});

test('the command palette finds pages, tables, workflows and conversations', async ({ page }) => {
  const { account, base } = await connectedOwner('palette', 3);
  const wf = await apiCall<{ id: string }>('POST', '/api/v1/workflows', { name: 'Morning digest', trigger: { type: 'manual' }, steps: [{ id: 'say', type: 'log', input: { message: 'hi' } }] }, account.accessToken);
  expect(wf.status).toBe(201);
  await signInAs(page, account, '/bases');
  await expect(page.getByRole('heading', { name: 'Bases' })).toBeVisible();
  await page.getByRole('button', { name: /Jump to a page/ }).click();
  const input = page.getByRole('combobox', { name: 'Jump to a page, table, workflow or conversation' });
  await input.fill('contacts');
  await expect(page.getByRole('option', { name: new RegExp(`Contacts.*${base.name}`) })).toBeVisible();
  await checkPage(page, 'palette');
  await input.fill('morning');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/workflows/${wf.body.id}$`));
  await page.keyboard.press('Control+k');
  await page.keyboard.type('contacts');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('grid', { name: 'Contacts records' })).toBeVisible();
});

test('workspace secrets: an admin sets one (never shown back), the editor offers it in HTTP steps, a member sees names only', async ({ page }) => {
  const owner = await register('secrets');
  await signInAs(page, owner, '/settings/secrets');
  await expect(page.getByRole('heading', { name: 'Secrets', exact: true })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('CRM_TOKEN');
  await page.getByLabel('Value', { exact: true }).fill('super-secret-value-123');
  await page.getByRole('button', { name: 'Save secret' }).click();
  await expect(page.getByRole('row', { name: /CRM_TOKEN/ })).toBeVisible();
  await expect(page.getByLabel('Value', { exact: true })).toHaveValue('');
  await expect(page.locator('body')).not.toContainText('super-secret-value-123');
  const listed = await apiCall<{ secrets: { name: string }[] }>('GET', '/api/v1/secrets', undefined, owner.accessToken);
  expect(listed.body.secrets.map((s) => s.name)).toEqual(['CRM_TOKEN']);
  expect(JSON.stringify(listed.body)).not.toContain('super-secret-value-123');
  // a bad name is refused on its field
  await page.getByLabel('Name', { exact: true }).fill('9 lives');
  await page.getByLabel('Value', { exact: true }).fill('x');
  await page.getByRole('button', { name: 'Save secret' }).click();
  await expect(page.getByText('a letter, then letters, digits and _')).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('');
  await page.getByLabel('Value', { exact: true }).fill('');
  await checkPage(page, 'settings-secrets');

  await page.goto('/workflows/new');
  await page.getByLabel('Type of the step to add at the end').selectOption('http_request');
  await page.getByRole('button', { name: '+ Add step at the end' }).click();
  await page.getByRole('button', { name: 'Insert a reference into URL' }).click();
  await page.getByRole('menuitem', { name: /secrets\.CRM_TOKEN/ }).click();
  await expect(page.getByLabel('URL', { exact: true })).toHaveValue('https://{{secrets.CRM_TOKEN}}');

  const someone = await member(owner, 'member');
  await signInAs(page, someone, '/settings/secrets');
  await expect(page.getByRole('row', { name: /CRM_TOKEN/ })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save secret' })).toHaveCount(0);
  await expect(page.getByText('Owners and admins add and replace secrets')).toBeVisible();
});
