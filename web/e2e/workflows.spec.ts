import { createHmac } from 'node:crypto';
import type { Locator, Page } from '@playwright/test';
import { apiCall, checkPage, connectedOwner, expect, register, signInAs, stack, test } from './fixtures';

/** The step card of `id` in the editor. */
function card(page: Page, id: string): Locator {
  return page.getByRole('listitem', { name: new RegExp(`^Step ${id}:`) });
}

test('a workflow built in the editor (manual → get_records → condition → create_record) runs, shows its steps, and its record is in the grid', async ({ page }) => {
  test.setTimeout(300_000);
  const { account, base } = await connectedOwner('builder', 5);
  const table = base.tables[0];
  await signInAs(page, account, '/workflows');
  await expect(page.getByText('No workflows yet')).toBeVisible();
  await checkPage(page, 'workflows-empty');
  await page.getByRole('link', { name: '+ New workflow' }).click();
  await expect(page.getByRole('heading', { name: 'New workflow', level: 1 })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Welcome new people');

  // 1. find: get_records, its form made from the tool's schema
  await page.getByLabel('Type of the step to add at the end').selectOption('get_records');
  await page.getByRole('button', { name: '+ Add step at the end' }).click();
  const find = card(page, 'get_records_1');
  await find.getByLabel('Base id', { exact: true }).fill(base.id);
  await find.getByLabel('Table', { exact: true }).fill('Contacts');
  await find.getByLabel('Max records (optional)', { exact: true }).fill('5');
  await expect(find.getByLabel('All pages')).not.toBeChecked(); // a boolean of the schema

  // 2. a condition on the trigger's data, with a create_record step under Then
  await page.getByLabel('Type of the step to add at the end').selectOption('condition');
  await page.getByRole('button', { name: '+ Add step at the end' }).click();
  const cond = card(page, 'condition_1');
  // references offered from the trigger and earlier steps
  await cond.getByRole('button', { name: 'Insert a reference into Value 1' }).click();
  await expect(page.getByRole('menuitem', { name: /steps\.get_records_1\.output/ })).toBeVisible();
  await page.getByRole('menuitem', { name: /^\{\{trigger\}\}/ }).click();
  await expect(cond.getByLabel('Value 1', { exact: true })).toHaveValue('{{trigger}}');
  await cond.getByLabel('Value 1', { exact: true }).fill('{{trigger.name}}');
  await cond.getByLabel('Test 1').selectOption('exists');
  await cond.getByLabel('Type of the step to add to Then of condition_1').selectOption('create_record');
  await cond.getByRole('button', { name: '+ Add step to Then of condition_1' }).click();
  const create = card(page, 'create_record_1');
  await create.getByLabel('Base id', { exact: true }).fill(base.id);
  await create.getByRole('button', { name: '+ Add field' }).click();
  await create.getByLabel('Field 1', { exact: true }).fill('Name');
  await create.getByLabel('Value of Name', { exact: true }).fill('{{trigger.name}}');

  // the API's 422 shows on the field it names: steps[1].then[0].input.table
  await page.getByRole('button', { name: 'Create workflow' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '1 problem to fix before saving' })).toContainText('steps[1].then[0].input.table');
  const tableField = create.getByLabel('Table', { exact: true });
  await expect(tableField).toHaveAttribute('aria-invalid', 'true');
  await expect(create.getByText('create_record needs `table`')).toBeVisible();
  await page.getByRole('button', { name: 'steps[1].then[0].input.table' }).click();
  await expect(tableField).toBeFocused();
  await tableField.fill('Contacts');

  // the JSON view round-trips: same definition, back to the same form
  await page.getByRole('button', { name: 'JSON' }).click();
  const json = JSON.parse(await page.getByRole('textbox', { name: 'Definition as JSON' }).inputValue()) as { steps: { id: string; then?: { input: { fields: Record<string, string> } }[] }[] };
  expect(json.steps.map((s) => s.id)).toEqual(['get_records_1', 'condition_1']);
  expect(json.steps[1]?.then?.[0]?.input.fields).toEqual({ Name: '{{trigger.name}}' });
  await page.getByRole('button', { name: 'Form' }).click();
  await expect(create.getByLabel('Table', { exact: true })).toHaveValue('Contacts');
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByText('The definition is valid: 3 steps, manual trigger.')).toBeVisible();
  await checkPage(page, 'workflow-editor');
  await page.getByRole('button', { name: 'Create workflow' }).click();

  // run it now with trigger data
  await expect(page.getByRole('heading', { name: 'Welcome new people' })).toBeVisible();
  await expect(page.getByText('enabled', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.getByLabel('Trigger data (JSON)').fill('{"name": "Ada from the workflow"}');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page).toHaveURL(/\/runs\/wfx_/);
  await expect(page.getByRole('status').filter({ hasText: 'The run succeeded' })).toBeVisible({ timeout: 90_000 });
  for (const id of ['get_records_1', 'condition_1', 'create_record_1']) await expect(page.getByRole('listitem', { name: `Step ${id}, succeeded` })).toBeVisible();
  const created = page.getByRole('listitem', { name: 'Step create_record_1, succeeded' });
  await created.getByText('Output of create_record_1').click();
  await expect(created.getByRole('region', { name: 'Output of create_record_1' })).toContainText('Ada from the workflow');
  await checkPage(page, 'workflow-run');

  // the history lists it; the record is in the grid
  await page.getByRole('link', { name: 'Welcome new people' }).click();
  await expect(page.getByRole('row', { name: /succeeded/ })).toBeVisible();
  await page.getByLabel('Status').selectOption('failed');
  await expect(page.getByText('No failed runs')).toBeVisible();
  await page.getByLabel('Status').selectOption('');
  await checkPage(page, 'workflow');
  await page.goto(`/bases/${base.id}/tables/${table?.id}?q=${encodeURIComponent('Ada from the workflow')}`);
  await expect(page.getByRole('grid', { name: 'Contacts records' }).getByRole('row', { name: /Ada from the workflow/ })).toBeVisible();
  await page.goto('/workflows');
  await expect(page.getByRole('row', { name: /Welcome new people/ })).toContainText('1 ✓');
  await checkPage(page, 'workflows');
});

test('a schedule shows its next runs as the API computes them; a bad cron is shown on its field', async ({ page }) => {
  const owner = await register('schedule');
  await signInAs(page, owner, '/workflows/new');
  await page.getByLabel('When it runs').selectOption('schedule');
  await page.getByLabel('Cron', { exact: true }).fill('0 9 * * 1-5');
  await page.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
  const runs = page.getByTestId('next-runs').locator('time');
  await expect(runs).toHaveCount(5);
  const probe = await apiCall<{ schedule: { nextRuns: string[] } }>(
    'POST',
    '/api/v1/workflows/validate',
    { name: 'x', trigger: { type: 'schedule', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' }, steps: [{ id: 'a', type: 'log', input: { message: 'x' } }] },
    owner.accessToken,
  );
  await expect.poll(async () => runs.evaluateAll((els) => els.map((e) => e.getAttribute('datetime')))).toEqual(probe.body.schedule.nextRuns);
  await page.getByLabel('Type of the step to add at the end').selectOption('log');
  await page.getByRole('button', { name: '+ Add step at the end' }).click();
  await card(page, 'log_1').getByLabel('Message', { exact: true }).fill('Good morning');
  await checkPage(page, 'workflow-schedule');
  await page.getByLabel('Cron', { exact: true }).fill('every morning');
  await expect(page.getByLabel('Cron', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('a cron has five fields')).toBeVisible();
});

test('a webhook workflow shows its secret once with a signing curl example that works; a stale save is a conflict explained', async ({ page }) => {
  const owner = await register('webhook');
  await signInAs(page, owner, '/workflows/new');
  await page.getByLabel('Name', { exact: true }).fill('Inbound orders');
  await page.getByLabel('When it runs').selectOption('webhook');
  await page.getByLabel('Type of the step to add at the end').selectOption('log');
  await page.getByRole('button', { name: '+ Add step at the end' }).click();
  await card(page, 'log_1').getByLabel('Message', { exact: true }).fill('{{trigger.order}}');
  await page.getByRole('button', { name: 'Create workflow' }).click();
  const secretEl = page.getByTestId('webhook-secret');
  await expect(secretEl).toHaveText(/^whsec_/);
  const secret = (await secretEl.textContent()) ?? '';
  await expect(page.getByRole('alert').filter({ hasText: 'this is the only time it is shown' })).toBeVisible();
  const url = (await page.getByTestId('webhook-url').textContent()) ?? '';
  expect(url).toMatch(new RegExp(`^${stack.baseUrl}/api/v1/hooks/wfl_`));
  await expect(page.getByTestId('webhook-curl')).toContainText(`SECRET='${secret}'`);
  await expect(page.getByTestId('webhook-curl')).toContainText('X-Signature-256: sha256=$SIG');
  await checkPage(page, 'workflow-webhook');
  // signed as the example signs: HMAC-SHA256 of "<timestamp>.<body>"
  const body = JSON.stringify({ order: 42 });
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-timestamp': String(ts), 'x-signature-256': `sha256=${sig}` }, body });
  expect(res.status).toBe(202);
  // shown once: gone after a reload
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Inbound orders' })).toBeVisible();
  await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(secret);
  await expect(page.getByRole('row', { name: /webhook/ }).first()).toBeVisible();

  // someone else saves meanwhile: the editor's save is refused and explained, their version loads
  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByText('Version 1.')).toBeVisible();
  const id = page.url().split('/').at(-2) ?? '';
  const other = await apiCall('PUT', `/api/v1/workflows/${id}`, { name: 'Inbound orders (theirs)', trigger: { type: 'webhook' }, steps: [{ id: 'log_1', type: 'log', input: { message: 'theirs' } }], version: 1 }, owner.accessToken);
  expect(other.status).toBe(200);
  await page.getByLabel('Name', { exact: true }).fill('Inbound orders (mine)');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const conflict = page.getByRole('alert').filter({ hasText: 'Someone else saved this workflow meanwhile' });
  await expect(conflict).toContainText('it is at 2');
  await conflict.getByRole('button', { name: 'Load their version' }).click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Inbound orders (theirs)');
  await expect(page.getByText('Version 2.')).toBeVisible();
});

test('the workflow editor works with the keyboard alone', async ({ page }) => {
  const owner = await register('kbflow');
  await signInAs(page, owner, '/workflows/new');
  const name = page.getByLabel('Name', { exact: true });
  await expect(name).toBeVisible();
  const tabTo = async (target: Locator, max = 60) => {
    for (let i = 0; i < max; i++) {
      if (await target.evaluate((el) => el === document.activeElement)) return;
      await page.keyboard.press('Tab');
    }
    throw new Error('not reached by Tab');
  };
  await page.locator('body').focus();
  await tabTo(name);
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Typed by keyboard');
  // add a log step: the type list takes typed letters, the button Enter
  const type = page.getByLabel('Type of the step to add at the end');
  await tabTo(type);
  await page.keyboard.type('Log a');
  await expect(type).toHaveValue('log');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: '+ Add step at the end' })).toBeFocused();
  await page.keyboard.press('Enter');
  const message = card(page, 'log_1').getByLabel('Message', { exact: true });
  await tabTo(message);
  await page.keyboard.type('Run ');
  // a reference from the menu: open with Enter, move with arrows, choose with Enter
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Insert a reference into Message' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menu')).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(message).toHaveValue(/^Run \{\{[a-z.]+\}\}$/);
  // renaming the step keeps the cursor in its id field, keystroke after keystroke
  const stepId = card(page, 'log_1').getByLabel('Step id', { exact: true });
  await stepId.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('announce');
  // (the card is named after its step, so it is found by its new id)
  await expect(card(page, 'announce').getByLabel('Step id', { exact: true })).toBeFocused();
  await expect(page.locator(':focus')).toHaveValue('announce');
  await expect(card(page, 'announce').getByLabel('Message', { exact: true })).toHaveValue(/^Run \{\{[a-z.]+\}\}$/);
  // and save with the keyboard
  await tabTo(page.getByRole('button', { name: 'Create workflow' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Typed by keyboard' })).toBeVisible();
});

test('a running run is cancelled from its page: it ends cancelled and the steps after it never run', async ({ page }) => {
  test.setTimeout(240_000);
  const owner = await register('cancelrun');
  // a delay long enough that the cancel always comes first (it is put back on the queue meanwhile)
  const wf = await apiCall<{ id: string }>(
    'POST',
    '/api/v1/workflows',
    {
      name: 'Slow one',
      trigger: { type: 'manual' },
      steps: [
        { id: 'before', type: 'log', input: { message: 'starting' } },
        { id: 'wait', type: 'delay', input: { seconds: 30 } },
        { id: 'after', type: 'log', input: { message: 'never' } },
      ],
    },
    owner.accessToken,
  );
  expect(wf.status, JSON.stringify(wf.body)).toBe(201);
  await signInAs(page, owner, `/workflows/${wf.body.id}`);
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page).toHaveURL(/\/runs\/wfx_/);
  await expect(page.getByRole('listitem', { name: 'Step before, succeeded' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('listitem', { name: /^Step wait, (running|waiting)$/ })).toBeVisible();
  await expect(page.getByRole('status', { name: /^Run status: (running|pending)$/ })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.getByRole('alertdialog', { name: 'Cancel this run?' }).getByRole('button', { name: 'Cancel run' }).click();

  await expect(page.getByRole('status', { name: 'Run status: cancelled' })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('status').filter({ hasText: 'The run was cancelled' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: /^Step after,/ })).toHaveCount(0);
  await expect(page.getByRole('listitem', { name: 'Step wait, stopped' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel run' })).toHaveCount(0);
  await checkPage(page, 'workflow-run-cancelled');
  // the history says so too
  await page.getByRole('link', { name: 'Slow one' }).click();
  await expect(page.getByRole('row', { name: /cancelled/ })).toBeVisible();
});

test('rotating a webhook secret shows the new one once; the old one is refused and the new one accepted', async ({ page }) => {
  const owner = await register('rotate');
  const wf = await apiCall<{ id: string; webhook: { url: string; secret: string } }>(
    'POST',
    '/api/v1/workflows',
    { name: 'Rotating hook', trigger: { type: 'webhook' }, steps: [{ id: 'say', type: 'log', input: { message: '{{trigger.n}}' } }] },
    owner.accessToken,
  );
  expect(wf.status, JSON.stringify(wf.body)).toBe(201);
  const old = wf.body.webhook.secret;
  expect(old).toMatch(/^whsec_/);
  const send = async (secret: string, n: number) => {
    const body = JSON.stringify({ n });
    const ts = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    return (await fetch(`${stack.baseUrl}${wf.body.webhook.url}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-timestamp': String(ts), 'x-signature-256': `sha256=${sig}` }, body })).status;
  };
  expect(await send(old, 1)).toBe(202);

  await signInAs(page, owner, `/workflows/${wf.body.id}`);
  await expect(page.getByRole('heading', { name: 'Rotating hook' })).toBeVisible();
  await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('alertdialog', { name: 'Rotate the signing secret?' }).getByRole('button', { name: 'Rotate secret' }).click();
  const secretEl = page.getByTestId('webhook-secret');
  await expect(secretEl).toHaveText(/^whsec_/);
  const fresh = ((await secretEl.textContent()) ?? '').trim();
  expect(fresh).not.toBe(old);
  await expect(page.getByRole('alert').filter({ hasText: 'this is the only time it is shown' })).toBeVisible();
  await expect(page.getByTestId('webhook-curl')).toContainText(`SECRET='${fresh}'`);

  // signed with the old secret: refused; with the new one: accepted
  expect(await send(old, 2)).toBe(401);
  expect(await send(fresh, 3)).toBe(202);

  // shown once: gone after a reload
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Rotating hook' })).toBeVisible();
  await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(fresh);
});
