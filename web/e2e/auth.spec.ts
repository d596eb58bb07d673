import { apiCall, checkPage, expect, register, signInAs, test, uniqueEmail, PASSWORD } from './fixtures';

test('sign in and out: wrong password and lockout in the API words, a reload keeps you signed in, sign out sticks', async ({ page }) => {
  test.setTimeout(120_000);
  const account = await register('signin');
  await page.goto('/settings/members');
  await expect(page).toHaveURL(/\/signin$/);
  await checkPage(page, 'signin');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await checkPage(page, 'signup');
  await page.getByRole('link', { name: 'Sign in' }).click();

  // a wrong password: the API's 401
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('the email or password is incorrect');
  await checkPage(page, 'signin-error');

  // the right one: back to where the user was going
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/settings\/members$/);
  await expect(page.getByRole('cell', { name: account.email })).toBeVisible();

  // a reload keeps the session (the refresh token is in storage, the access token in memory)
  await page.reload();
  await expect(page.getByRole('cell', { name: account.email })).toBeVisible();
  expect(await page.evaluate(() => Object.keys(localStorage))).toEqual(['pyat.refreshToken']);

  // sign out from the user menu, then reload: still signed out
  await page.getByRole('button', { name: `Account menu for ${account.name}` }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.goto('/bases');
  await expect(page).toHaveURL(/\/signin$/);

  // lockout: ten failures lock the address for 15 minutes (423, the API's words)
  const locked = uniqueEmail('locked');
  for (let i = 0; i < 10; i++) await apiCall('POST', '/api/v1/auth/login', { email: locked, password: 'wrong password 123' });
  await page.getByLabel('Email').fill(locked);
  await page.getByLabel('Password').fill('wrong password 123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Locked');
  await expect(page.getByRole('alert')).toContainText('too many failed sign-in attempts');
});

test('a reused refresh token signs the user out with a clear message', async ({ page }) => {
  const account = await register('reuse');
  await signInAs(page, account, '/settings/workspace');
  await expect(page.getByRole('heading', { name: 'Workspace', exact: true })).toBeVisible();
  // Another party uses the refresh token the app holds (e.g. it was copied): it is spent…
  const stolen = await page.evaluate(() => localStorage.getItem('pyat.refreshToken'));
  const first = await apiCall('POST', '/api/v1/auth/refresh', { refreshToken: stolen });
  expect(first.status).toBe(200);
  // …so when the app next refreshes with it (here: a reload), the API sees the reuse and revokes.
  await page.reload();
  await expect(page).toHaveURL(/\/signin$/);
  const alert = page.getByRole('alert').filter({ hasText: 'You are signed out' });
  await expect(alert).toContainText('already used');
  await expect(alert).toContainText('Sign in again');
  await checkPage(page, 'signin-session-ended');
});

test('an invitation link: the admin copies it, a new user joins and sees the workspace; the inviter sees them', async ({ page, browser }) => {
  const owner = await register('inviter', { tenantName: 'Babbage & Co' });
  await signInAs(page, owner, '/settings/members');
  const email = uniqueEmail('invitee');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role').selectOption('member');
  await page.getByRole('button', { name: 'Create invitation' }).click();
  const link = page.getByTestId('invitation-link');
  await expect(link).toContainText('/invite?token=pyinv_');
  const url = (await link.textContent()) ?? '';
  await expect(page.getByRole('cell', { name: email, exact: true })).toBeVisible(); // pending
  await checkPage(page, 'settings-members');

  const context = await browser.newContext();
  const invitee = await context.newPage();
  await invitee.goto(url);
  // the invitation says what it is before anyone signs up: the workspace, the inviter, the address, the role
  await expect(invitee.getByRole('heading', { name: 'Join Babbage & Co' })).toBeVisible();
  const offer = invitee.getByTestId('invitation-offer');
  await expect(offer).toContainText(`invited ${email} to join Babbage & Co as member`);
  await expect(offer).toContainText(owner.name);
  await expect(invitee.getByLabel('Email')).toHaveValue(email);
  await checkPage(invitee, 'invite');
  await invitee.getByLabel('Your name').fill('Grace Invitee');
  await invitee.getByLabel('Email').fill(email);
  await invitee.getByLabel('Password').fill(PASSWORD);
  await invitee.getByRole('button', { name: 'Create account and join' }).click();
  await expect(invitee.getByRole('button', { name: /Workspace: Babbage & Co/ })).toBeVisible();
  await expect(invitee.getByRole('button', { name: /Workspace: Babbage & Co/ })).toContainText('member');
  // a member cannot connect Airtable: onboarding says who can
  await expect(invitee).toHaveURL(/\/onboarding/);
  await expect(invitee.getByText('Only owners and admins of this workspace can connect Airtable.')).toBeVisible();
  await expect(invitee.getByText(owner.email)).toBeVisible();
  await checkPage(invitee, 'onboarding-member');
  await context.close();

  await page.reload();
  await expect(page.getByRole('row', { name: /Grace Invitee/ })).toContainText('member');
});

test('a user of two workspaces accepts an invitation while signed in and switches between them', async ({ page }) => {
  const owner = await register('host', { tenantName: 'Host Workspace' });
  const guest = await register('guest', { tenantName: 'Guest Home' });
  const inv = await apiCall<{ invitationToken: string }>('POST', '/api/v1/tenant/members', { email: guest.email, role: 'viewer' }, owner.accessToken);
  expect(inv.status).toBe(201);
  await signInAs(page, guest, `/invite?token=${inv.body.invitationToken}`);
  await expect(page.getByText(`You are signed in as ${guest.email}`)).toBeVisible();
  await expect(page.getByTestId('invitation-offer')).toContainText('to join Host Workspace as viewer');
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  const switcher = page.getByRole('button', { name: /^Workspace: / });
  await expect(switcher).toHaveAccessibleName(/Workspace: Host Workspace/);
  await expect(switcher).toContainText('viewer');

  // switch back to the first workspace from the menu (keyboard)
  await switcher.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu');
  await expect(menu).toBeVisible();
  // the other workspace by its name
  await menu.getByRole('menuitem', { name: 'Guest Home owner' }).click();
  await expect(switcher).toHaveAccessibleName(/Workspace: Guest Home/);
  await expect(switcher).toContainText('owner');
  // the old session was revoked by the switch, the new one survives a reload
  await page.reload();
  await expect(switcher).toHaveAccessibleName(/Workspace: Guest Home/);
});

test('a refresh whose answer is lost (a reload or a dropped connection mid-refresh) does not sign the user out', async ({ page }) => {
  const account = await register('lost');
  await signInAs(page, account, '/settings/workspace');
  const heading = page.getByRole('heading', { name: 'Workspace', exact: true });
  await expect(heading).toBeVisible();
  // The next refresh reaches the API, which rotates the pair, but its answer never reaches the page.
  const sent: unknown[] = [];
  await page.route('**/api/v1/auth/refresh', async (route) => {
    sent.push(route.request().postDataJSON());
    if (sent.length === 1) {
      const answer = await route.fetch();
      expect(answer.status()).toBe(200);
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await page.reload();
  await expect.poll(() => sent.length).toBe(1);
  // The user reloads again: the same spent token goes out with the same rotation id, and the API
  // takes it as the retry it is — signed in, not "signed out for safety".
  await page.reload();
  await expect(heading).toBeVisible();
  expect(sent).toHaveLength(2);
  expect(sent[1]).toEqual(sent[0]);
  expect(await page.evaluate(() => Object.keys(localStorage))).toEqual(['pyat.refreshToken']);
  // The session goes on rotating normally afterwards.
  await page.reload();
  await expect(heading).toBeVisible();
  expect(sent).toHaveLength(3);
});
