import { apiCall, checkPage, connectedOwner, expect, member, peopleCsv, sandboxConfig, sandboxRecords, signInAs, test, uploadOverApi } from './fixtures';

test('a 2,000-row CSV dropped on the page uploads with a moving progress bar, previews with types, maps, imports into a new table and shows 2,000 records in the grid', async ({ page }) => {
  test.setTimeout(420_000);
  // The PUT goes from the browser straight to the presigned URL under the page's real
  // Content-Security-Policy (its connect-src lists the storage's origin: locally the S3
  // emulator, in AWS https:) and the bucket's CORS. Any CSP violation fails the test.
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const { account, base } = await connectedOwner('import', 3);
  await signInAs(page, account, '/files');
  await expect(page.getByRole('heading', { name: 'Files', level: 1 })).toBeVisible();
  await expect(page.getByText('No files yet')).toBeVisible();
  await checkPage(page, 'files-empty');

  // Uploads go straight to S3 (the bucket's CORS lets this origin PUT); slowed down so the bar
  // is seen moving: every value it shows is recorded.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 40_000 });
  await page.evaluate(() => {
    const w = window as unknown as { __progress: number[]; __uploadText: string[] };
    w.__progress = [];
    w.__uploadText = [];
    new MutationObserver(() => {
      const bar = document.querySelector('.upload [role="progressbar"]');
      const v = bar?.getAttribute('aria-valuenow');
      if (v !== null && v !== undefined) w.__progress.push(Number(v));
      const text = document.querySelector('.upload')?.textContent;
      if (text) w.__uploadText.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  const csv = peopleCsv(2000);
  await page.evaluate(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
  });
  const put = page.waitForResponse((r) => r.request().method() === 'PUT', { timeout: 120_000 });
  await page.getByTestId('dropzone').evaluate((el, text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'people-2000.csv', { type: 'text/csv' }));
    for (const type of ['dragenter', 'dragover', 'drop']) el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, csv);
  const bar = page.getByRole('progressbar', { name: 'Uploading people-2000.csv' });
  await expect(bar).toBeVisible();
  await expect(page.locator('.upload')).toContainText(/KB of \d+\.\d KB/);
  await expect(page.getByRole('button', { name: 'Cancel the upload of people-2000.csv' })).toBeVisible();
  await checkPage(page, 'files-uploading');
  // The row says so for 4 s once the PUT is done; its texts are recorded as they appear, so a slow
  // check of the page above (a busy machine) cannot miss it.
  const uploadTexts = () => page.evaluate(() => (window as unknown as { __uploadText: string[] }).__uploadText);
  await expect.poll(async () => (await uploadTexts()).some((t) => t.includes('uploaded — processing starts')), { timeout: 60_000 }).toBe(true);
  expect((await put).status(), 'the presigned PUT').toBe(200);
  expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), 'CSP violations in the page').toEqual([]);
  expect(violations, 'CSP violations in the console').toEqual([]);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const seen = await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
  const moving = [...new Set(seen.filter((v) => v > 0 && v < 100))];
  expect(moving.length, `progress values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
  expect(seen.at(-1)).toBe(100);

  // live status in the list: processed, with its kind and rows
  const row = page.getByRole('row', { name: /people-2000\.csv/ });
  await expect(row).toContainText('processed', { timeout: 90_000 });
  await expect(row).toContainText('2,000');
  await expect(row).toContainText('csv');
  await checkPage(page, 'files');

  // the preview: first rows and the type of each column
  await row.getByRole('link', { name: 'people-2000.csv', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'people-2000.csv' })).toBeVisible();
  const preview = page.getByRole('table', { name: 'First rows of people-2000.csv' });
  for (const [col, type] of [
    ['Name', 'text'],
    ['Email', 'email'],
    ['Score', 'number'],
    ['Joined', 'date'],
    ['Active', 'checkbox'],
  ]) {
    await expect(preview.getByRole('columnheader', { name: `${col} ${type}` })).toBeVisible();
  }
  await expect(preview.getByRole('cell', { name: 'Imported 0001' })).toBeVisible();
  await expect(page.getByText('First 50 of 2,000 rows')).toBeVisible();
  await checkPage(page, 'file-preview');

  // the mapping: every column proposed as a field of the new table; one is skipped
  await page.getByRole('link', { name: 'Import into Airtable' }).click();
  await expect(page.getByRole('heading', { name: 'Import people-2000.csv' })).toBeVisible();
  await expect(page.getByLabel('Base')).toHaveValue(base.id);
  await page.getByLabel('Name of the new table').fill('Imported people');
  await expect(page.getByLabel('Field for Score')).toHaveValue('Score');
  await expect(page.getByRole('row', { name: /Score/ })).toContainText('fits');
  await page.getByLabel('Field for Joined').fill('');
  await expect(page.getByRole('row', { name: /Joined/ })).toContainText('skipped');
  await expect(page.getByText('4 of 5 columns mapped')).toBeVisible();
  await checkPage(page, 'import');
  await page.getByRole('button', { name: 'Import 2,000 rows' }).click();

  // the saga's progress, live, then its outcome with a link to the table
  await expect(page).toHaveURL(/\/jobs\/sag_/);
  await expect(page.getByRole('progressbar', { name: 'Records written' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await checkPage(page, 'job-running');
  const done = page.getByRole('status').filter({ hasText: 'Import completed' });
  await expect(done).toBeVisible({ timeout: 240_000 });
  await expect(done).toContainText('2,000 records were written to “Imported people”');
  await expect(page.getByRole('listitem').filter({ hasText: 'Write the rows' })).toContainText('done');
  await checkPage(page, 'job-completed');

  await done.getByRole('link', { name: 'Open Imported people in the grid' }).click();
  const grid = page.getByRole('grid', { name: 'Imported people records' });
  await expect(grid.getByRole('row', { name: /Imported 0001/ })).toBeVisible();
  // every page, as the grid scrolls to the end
  const count = page.getByRole('status').filter({ hasText: /records|loaded/ }).first();
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; ) {
    if ((await count.textContent())?.includes('2,000 records')) break;
    await grid.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForTimeout(300);
  }
  await expect(count).toHaveText('2,000 records');
  await expect(grid.getByRole('columnheader', { name: /Joined/ })).toHaveCount(0);
});

test('an import Airtable fails midway is rolled back: the page says what was undone, and the table is as it was', async ({ page }) => {
  test.setTimeout(300_000);
  const { account, base } = await connectedOwner('rollback', 30);
  const table = base.tables[0];
  const fileId = await uploadOverApi(account, 'more-contacts.csv', peopleCsv(200, 'Extra'));
  // the sixth batch of ten records fails for good (after 50 were written)
  await sandboxConfig({ base: base.id, failAfter: { create: 5 } });
  try {
    await signInAs(page, account, `/files/${fileId}/import`);
    await page.getByLabel('An existing table').check();
    await page.getByLabel('Table', { exact: true }).selectOption({ label: 'Contacts' });
    // matched by name; Joined and Active have no field of that name in Contacts
    await expect(page.getByLabel('Field for Name')).toHaveValue('Name');
    await expect(page.getByLabel('Field for Email')).toHaveValue('Email');
    await expect(page.getByLabel('Field for Score')).toHaveValue('Score');
    await expect(page.getByLabel('Field for Joined')).toHaveValue('');
    // a type that will not fit is flagged before anything is written
    await page.getByLabel('Field for Joined').selectOption('Active');
    await expect(page.getByRole('alert').filter({ hasText: 'does not fit' })).toContainText('Joined');
    await expect(page.getByRole('button', { name: 'Import 200 rows' })).toBeDisabled();
    await page.getByLabel('Field for Joined').selectOption('');
    await page.getByRole('button', { name: 'Import 200 rows' }).click();

    const outcome = page.getByRole('alert').filter({ hasText: 'everything it wrote was undone' });
    await expect(outcome).toBeVisible({ timeout: 180_000 });
    await expect(outcome).toContainText('Deleted the 50 records it created.');
    await expect(outcome).toContainText('The table is as it was before the import.');
    await expect(outcome).toContainText('What went wrong');
    const undo = page.getByRole('listitem').filter({ hasText: 'Undo: Write the rows' });
    await expect(undo).toContainText('undone');
    // the step that failed says why (then it was undone)
    await expect(page.getByRole('listitem').filter({ hasText: /^Write the rows/ })).toContainText('injected failure of create request 6');
    await checkPage(page, 'job-compensated');

    // the list of jobs, filtered to compensated ones
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Jobs' }).click();
    await expect(page).toHaveURL(/\/jobs$/);
    await page.getByRole('combobox', { name: 'Status' }).selectOption('compensated');
    await expect(page.getByRole('row', { name: /Import/ })).toContainText('compensated');
    await checkPage(page, 'jobs');
  } finally {
    await sandboxConfig({ base: base.id, failAfter: { create: null } });
  }
  const records = await apiCall<{ records: unknown[]; total: number }>('GET', `/api/v1/records?baseId=${base.id}&table=${table?.id}&all=true`, undefined, account.accessToken);
  expect(records.body.total ?? records.body.records.length).toBe(30);
  await page.goto(`/bases/${base.id}/tables/${table?.id}`);
  await expect(page.getByRole('status').filter({ hasText: '30 records' })).toBeVisible();
});

test('a text document shows its extracted text; a viewer sees files but no upload, import, delete, edit or run controls', async ({ page }) => {
  const { account } = await connectedOwner('viewerfiles', 3);
  const csvId = await uploadOverApi(account, 'people.csv', peopleCsv(20));
  const txtId = await uploadOverApi(account, 'notes.txt', 'Meeting notes\n\nThe import of the spring leads went well.\n', 'text/plain');
  const wf = await apiCall<{ id: string }>('POST', '/api/v1/workflows', { name: 'Nightly', trigger: { type: 'manual' }, steps: [{ id: 'say', type: 'log', input: { message: 'hi' } }] }, account.accessToken);
  expect(wf.status).toBe(201);
  await signInAs(page, account, `/files/${txtId}`);
  await expect(page.getByRole('region', { name: 'Text of notes.txt' })).toContainText('The import of the spring leads went well.');
  await checkPage(page, 'file-text');

  const viewer = await member(account, 'viewer');
  await signInAs(page, viewer, '/files');
  await expect(page.getByRole('row', { name: /people\.csv/ })).toContainText('processed');
  await expect(page.getByText('You have read-only access (viewer)')).toBeVisible();
  await expect(page.getByTestId('dropzone')).toHaveCount(0);
  await expect(page.getByRole('link', { name: /^Import .*\.csv/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Delete / })).toHaveCount(0);
  await page.goto(`/files/${csvId}`);
  await expect(page.getByRole('table', { name: 'First rows of people.csv' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Import into Airtable' })).toHaveCount(0);
  await page.goto(`/files/${csvId}/import`);
  await expect(page.getByText('Viewers cannot import')).toBeVisible();
  await page.goto('/workflows');
  await expect(page.getByRole('link', { name: 'Nightly' })).toBeVisible();
  await expect(page.getByRole('link', { name: /New workflow/ })).toHaveCount(0);
  await page.goto(`/workflows/${wf.body.id}`);
  await expect(page.getByRole('heading', { name: 'Nightly' })).toBeVisible();
  for (const name of ['Run now', 'Pause', 'Delete']) await expect(page.getByRole('button', { name })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Edit' })).toHaveCount(0);
  await page.goto(`/workflows/${wf.body.id}/edit`);
  await expect(page.getByText('Viewers cannot edit workflows')).toBeVisible();
});

test('a rollback that cannot finish is unmistakable and lists the records a person must delete', async ({ page }) => {
  test.setTimeout(240_000);
  const { account, base, pat } = await connectedOwner('stuck', 5);
  const table = base.tables[0];
  const before = new Set((await sandboxRecords(base.id, 'Contacts', pat)).map((r) => r.id));
  expect(before.size).toBe(5);
  const fileId = await uploadOverApi(account, 'stuck.csv', peopleCsv(100, 'Stuck'));
  // the fourth batch fails, and so does every delete of the rollback
  await sandboxConfig({ base: base.id, failAfter: { create: 3, delete: 0 } });
  try {
    await signInAs(page, account, `/files/${fileId}/import`);
    await page.getByLabel('An existing table').check();
    await page.getByLabel('Table', { exact: true }).selectOption({ label: 'Contacts' });
    await expect(page.getByLabel('Field for Name')).toHaveValue('Name');
    await page.getByRole('button', { name: 'Import 100 rows' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Needs a person: the rollback did not finish' });
    await expect(alert).toBeVisible({ timeout: 180_000 });
    await expect(alert).toContainText('What could not be undone');
    await expect(alert).toContainText('30 of 30 created records are still to delete');
    // the ids the failed compensation names, each linked to the record in Airtable
    await expect(alert).toContainText('The 30 records to delete by hand');
    const list = alert.getByRole('region', { name: 'Records to delete by hand' });
    const items = list.getByRole('listitem');
    await expect(items).toHaveCount(30);
    const shown = (await list.locator('.mono').allTextContents()).map((t) => t.trim());
    for (const id of shown) {
      await expect(list.getByRole('link', { name: `Open in Airtable: ${id} (opens in a new tab)` })).toHaveAttribute('href', `https://airtable.com/${base.id}/${table?.id}/${id}`);
    }
    // …which are exactly what the sandbox still holds beside the table's own records
    const after = (await sandboxRecords(base.id, 'Contacts', pat)).map((r) => r.id);
    expect(after.filter((id) => !before.has(id)).sort()).toEqual([...shown].sort());
    await expect(page.getByRole('status', { name: 'Status: compensation failed' })).toBeVisible();
    await expect(page.getByRole('listitem').filter({ hasText: 'Undo: Write the rows' })).toContainText('undo failed');
    await checkPage(page, 'job-compensation-failed');
  } finally {
    await sandboxConfig({ base: base.id, failAfter: { create: null, delete: null } });
  }
});

test('an import cancelled from its timeline stops, undoes what it wrote, and leaves the table as it was', async ({ page }) => {
  test.setTimeout(300_000);
  const { account, base, pat } = await connectedOwner('cancelimport', 5);
  const before = (await sandboxRecords(base.id, 'Contacts', pat)).map((r) => r.id).sort();
  // a few thousand rows: batches of ten at Airtable's five requests a second take minutes
  const fileId = await uploadOverApi(account, 'many.csv', peopleCsv(3000, 'Many'));
  await signInAs(page, account, `/files/${fileId}/import`);
  await page.getByLabel('An existing table').check();
  await page.getByLabel('Table', { exact: true }).selectOption({ label: 'Contacts' });
  await expect(page.getByLabel('Field for Name')).toHaveValue('Name');
  await page.getByRole('button', { name: 'Import 3,000 rows' }).click();

  // running: records are being written
  await expect(page).toHaveURL(/\/jobs\/sag_/);
  const progress = page.getByRole('progressbar', { name: 'Records written' });
  await expect(progress).toBeVisible({ timeout: 60_000 });
  await expect.poll(async () => Number(await progress.getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Cancel this import?' });
  await dialog.getByRole('button', { name: 'Cancel the import' }).click();

  // it stops at its next batch and deletes what it wrote
  const outcome = page.getByRole('alert').filter({ hasText: 'everything it wrote was undone' });
  await expect(outcome).toBeVisible({ timeout: 240_000 });
  await expect(outcome).toContainText('Import cancelled');
  await expect(outcome).toContainText(/Deleted the [\d,]+ records it created\./);
  await expect(outcome).toContainText('The table is as it was before the import.');
  await expect(page.getByRole('status', { name: 'Status: compensated' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'Undo: Write the rows' })).toContainText('undone');
  await checkPage(page, 'job-cancelled');

  // the table as before: the same five records in Airtable and in the grid
  expect((await sandboxRecords(base.id, 'Contacts', pat)).map((r) => r.id).sort()).toEqual(before);
  await page.goto(`/bases/${base.id}/tables/${base.tables[0]?.id}`);
  await expect(page.getByRole('status').filter({ hasText: '5 records' })).toBeVisible();
});
