// What the browser tests share: the stack's addresses, helpers that make test data through the
// stack's own endpoints (sandbox bases and scoped tokens, scripted model answers, accounts made
// over the API when sign-up is not what a test is about), axe checks in both colour schemes and
// the screenshots of every page.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { expect, test as base, type Locator, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readStack, SCREENSHOTS } from './stack';

export const stack = readStack();
export const PASSWORD = 'correct horse battery 42';

async function http<T>(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export async function apiCall<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token?: string) {
  return http<T>(method, `${stack.baseUrl}${path}`, body, token);
}

export function uniqueEmail(tag: string): string {
  return `${tag}-${randomUUID().slice(0, 8)}@example.com`;
}

// ---------------------------------------------------------------- sandbox Airtable

export const CONTACT_FIELDS = [
  { name: 'Name', type: 'singleLineText' },
  { name: 'Email', type: 'email' },
  { name: 'Status', type: 'singleSelect', options: { choices: [{ name: 'Lead' }, { name: 'Customer' }, { name: 'Churned' }] } },
  { name: 'Score', type: 'number', options: { precision: 0 } },
  { name: 'Active', type: 'checkbox', options: { icon: 'check', color: 'greenBright' } },
  { name: 'Signed up', type: 'date', options: { dateFormat: { name: 'iso' } } },
  { name: 'Notes', type: 'multilineText' },
];

/** Contact n (1-based): names sort the same as their numbers ("Person 0001"). */
export function contact(n: number): Record<string, unknown> {
  const id = String(n).padStart(4, '0');
  const rec: Record<string, unknown> = {
    Name: `Person ${id}`,
    Email: `person${id}@example.com`,
    Status: ['Lead', 'Customer', 'Churned'][n % 3],
    Score: (n * 37) % 101,
    'Signed up': `2025-${String((n % 12) + 1).padStart(2, '0')}-${String((n % 28) + 1).padStart(2, '0')}`,
  };
  if (n % 2 === 0) rec.Active = true;
  if (n % 10 === 0) rec.Notes = `Note for person ${id}\nSecond line`;
  return rec;
}

export interface SandboxBase {
  id: string;
  name: string;
  tables: { id: string; name: string }[];
}

/** A base of its own for one test: Contacts with `count` records. */
export async function contactsBase(count: number, name = `E2E ${randomUUID().slice(0, 6)}`): Promise<SandboxBase> {
  const records = Array.from({ length: count }, (_, i) => contact(i + 1));
  const res = await http<SandboxBase>('POST', `${stack.sandboxUrl}/_sandbox/bases`, { name, tables: [{ name: 'Contacts', fields: CONTACT_FIELDS, records }] });
  expect(res.status, `sandbox base: ${JSON.stringify(res.body)}`).toBe(201);
  return res.body;
}

/** A personal access token that sees only these bases (the format the platform accepts). */
export async function scopedToken(bases: string[]): Promise<string> {
  const token = `patE2e${randomBytes(4).toString('hex').slice(0, 7)}.${randomBytes(32).toString('hex')}`;
  const res = await http('POST', `${stack.sandboxUrl}/_sandbox/tokens`, { token, bases });
  expect(res.status).toBeLessThan(300);
  return token;
}

/** Reads the sandbox directly (what Airtable holds). Sparingly: these reads count against the
 *  base's 5 requests/s like the platform's own, so a 429 is waited out rather than retried hot. */
export async function sandboxRecords(baseId: string, table: string, token: string, params = ''): Promise<{ id: string; fields: Record<string, unknown> }[]> {
  for (let attempt = 0; ; attempt++) {
    const res = await http<{ records: { id: string; fields: Record<string, unknown> }[] }>('GET', `${stack.sandboxUrl}/v0/${baseId}/${encodeURIComponent(table)}${params}`, undefined, token);
    if (res.status === 429 && attempt < 5) {
      await new Promise((r) => setTimeout(r, 1500));
      continue;
    }
    expect(res.status).toBe(200);
    return res.body.records;
  }
}

/** The one record whose `field` is `value`, as the sandbox holds it. */
export async function sandboxFind(baseId: string, token: string, field: string, value: string) {
  const formula = `{${field}}='${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return (await sandboxRecords(baseId, 'Contacts', token, `?filterByFormula=${encodeURIComponent(formula)}`))[0];
}

/** Poll options for reads of the sandbox: once a second. */
export const SANDBOX_POLL = { intervals: [1000], timeout: 20_000 };

export async function sandboxConfig(body: unknown): Promise<void> {
  const res = await http('POST', `${stack.sandboxUrl}/_sandbox/config`, body);
  expect(res.status).toBeLessThan(300);
}

// ---------------------------------------------------------------- scripted model

export type ScriptStep =
  | { call: { name: string; arguments: Record<string, unknown> } }
  | { text: string; pieces?: number; delayMs?: number }
  | { fail: { status: number; message: string } };

/** Registers a scripted answer; a message containing the returned marker gets it. */
export async function script(steps: ScriptStep[]): Promise<string> {
  const res = await http<{ marker: string }>('POST', `${stack.llmUrl}/_scripts`, { tag: `e2e-${randomUUID().slice(0, 8)}`, steps });
  expect(res.status).toBe(201);
  return res.body.marker;
}

// ---------------------------------------------------------------- accounts over the API

export interface Account {
  email: string;
  password: string;
  name: string;
  accessToken: string;
  refreshToken: string;
  tenantId: string;
  tenantName: string;
}

interface SessionBody {
  user: { id: string; email: string };
  tenant: { id: string; name: string };
  tokens: { accessToken: string; refreshToken: string };
}

export async function register(tag: string, extra: Record<string, unknown> = {}): Promise<Account> {
  const email = uniqueEmail(tag);
  const name = `${tag[0]?.toUpperCase() ?? ''}${tag.slice(1)} Tester`;
  const res = await apiCall<SessionBody>('POST', '/api/v1/auth/register', { email, password: PASSWORD, name, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { email, password: PASSWORD, name, accessToken: res.body.tokens.accessToken, refreshToken: res.body.tokens.refreshToken, tenantId: res.body.tenant.id, tenantName: res.body.tenant.name };
}

export async function login(email: string, password = PASSWORD): Promise<SessionBody> {
  const res = await apiCall<SessionBody>('POST', '/api/v1/auth/login', { email, password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function connect(accessToken: string, pat: string): Promise<void> {
  const res = await apiCall('PUT', '/api/v1/connections/airtable', { token: pat }, accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** A workspace owner whose workspace is connected to a base of its own. */
export async function connectedOwner(tag: string, records = 30): Promise<{ account: Account; base: SandboxBase; pat: string }> {
  const [account, base] = await Promise.all([register(tag), contactsBase(records)]);
  const pat = await scopedToken([base.id]);
  await connect(account.accessToken, pat);
  return { account, base, pat };
}

/** A second user of `owner`'s workspace with `role`, joined through an invitation. */
export async function member(owner: Account, role: 'viewer' | 'member' | 'admin', tag: string = role): Promise<Account> {
  const email = uniqueEmail(tag);
  const inv = await apiCall<{ invitationToken: string }>('POST', '/api/v1/tenant/members', { email, role }, owner.accessToken);
  expect(inv.status, JSON.stringify(inv.body)).toBe(201);
  const res = await apiCall<SessionBody>('POST', '/api/v1/auth/register', { email, password: PASSWORD, name: `${tag} Tester`, invitationToken: inv.body.invitationToken });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { email, password: PASSWORD, name: `${tag} Tester`, accessToken: res.body.tokens.accessToken, refreshToken: res.body.tokens.refreshToken, tenantId: res.body.tenant.id, tenantName: res.body.tenant.name };
}

/** Signs the page in as `account` without the form: a fresh session's refresh token in storage,
 *  as a reload after signing in would find it. */
export async function signInAs(page: Page, account: Account, path = '/'): Promise<void> {
  const fresh = await login(account.email, account.password);
  // Set it from a same-origin page where the app does not run (a running app could be rotating
  // the previous user's token and write it back meanwhile).
  await page.goto('/api/v1/health');
  await page.evaluate((rt) => {
    window.localStorage.clear();
    window.localStorage.setItem('pyat.refreshToken', rt);
  }, fresh.tokens.refreshToken);
  await page.goto(path);
}

// ---------------------------------------------------------------- accessibility and screenshots

/** axe at WCAG 2.1 A/AA in the light and the dark scheme: no violations. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // let the theme apply (CSS custom properties switch on the media query)
    await page.waitForTimeout(50);
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const summary = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(0, 3).join(' ')}`).join('\n')}`);
    expect(summary, `axe violations on ${what} (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: null });
}

/** Saves <name>-desktop.png (1280×800) and <name>-phone.png (375×812) under docs/screenshots. */
export async function screenshots(page: Page, name: string, prepare?: () => Promise<void>): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const [kind, size] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 375, height: 812 }],
  ] as const) {
    await page.setViewportSize(size);
    // From the top of the page (a test may have scrolled it to reach a control).
    await page.evaluate(() => document.querySelector('main')?.scrollTo(0, 0));
    await page.waitForTimeout(150);
    if (prepare) await prepare();
    // The layout works at this width: nothing overflows the page sideways (wide content such as
    // the grid scrolls inside its own region).
    const overflow = await page.evaluate(() =>
      [document.documentElement, document.querySelector('main')].filter((el): el is HTMLElement => el !== null).map((el) => el.scrollWidth - el.clientWidth),
    );
    expect(Math.max(0, ...overflow), `${name} overflows sideways at ${size.width}px`).toBeLessThanOrEqual(1);
    await page.screenshot({ path: `${SCREENSHOTS}/${name}-${kind}.png`, animations: 'disabled' });
  }
  if (original) await page.setViewportSize(original);
}

/** Every page check in one: accessible in both schemes, and photographed. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await screenshots(page, name);
}

export const test = base;
export { expect };

// ---------------------------------------------------------------- figures (never asserted)

/** Clicks `link` and measures, in the page, the milliseconds from the click to the grid's first
 *  data row in the DOM (`aria-rowindex="2"`). A figure for benchmarks and annotations: the
 *  machine is shared, so no test asserts it. */
export async function timeFirstRows(page: Page, link: Locator): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as { __firstRow: Promise<number>; __clicked: number };
    w.__firstRow = new Promise<number>((resolve) => {
      const mo = new MutationObserver(() => {
        if (document.querySelector('[role="row"][aria-rowindex="2"]')) {
          mo.disconnect();
          resolve(performance.now());
        }
      });
      mo.observe(document.body, { childList: true, subtree: true });
    });
    document.addEventListener('click', () => (w.__clicked = performance.now()), { capture: true, once: true });
  });
  await link.click();
  return Math.round(
    await page.evaluate(async () => {
      const w = window as unknown as { __firstRow: Promise<number>; __clicked: number };
      return (await w.__firstRow) - w.__clicked;
    }),
  );
}

// ---------------------------------------------------------------- files

/** A CSV of `rows` people: Name, Email, Score, Joined, Active (types the processor infers). */
export function peopleCsv(rows: number, prefix = 'Imported'): string {
  const lines = ['Name,Email,Score,Joined,Active'];
  for (let i = 1; i <= rows; i++) {
    const id = String(i).padStart(4, '0');
    lines.push(`${prefix} ${id},${prefix.toLowerCase()}${id}@example.com,${(i * 7) % 100},2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')},${i % 2 === 0 ? 'true' : 'false'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Uploads a file over the API (presigned PUT) and waits until it is processed; its id. */
export async function uploadOverApi(account: Account, name: string, body: string, contentType = 'text/csv'): Promise<string> {
  const up = await apiCall<{ fileId: string; uploadUrl: string; headers: Record<string, string> }>('POST', '/api/v1/files/upload', { filename: name, contentType, size: Buffer.byteLength(body) }, account.accessToken);
  expect(up.status, JSON.stringify(up.body)).toBe(201);
  const put = await fetch(up.body.uploadUrl, { method: 'PUT', headers: up.body.headers, body });
  expect(put.status).toBe(200);
  await expect
    .poll(async () => (await apiCall<{ status: string }>('GET', `/api/v1/files/${up.body.fileId}`, undefined, account.accessToken)).body.status, { timeout: 60_000, intervals: [500] })
    .toBe('processed');
  return up.body.fileId;
}
