// The web console in Debian's headless Chromium, driven by playwright-core (which downloads
// no browser: it is pointed at the system's). tests/test_console.py runs this file against a
// real `datalinks serve` and passes, in the environment:
//   DATALINKS_URL, DATALINKS_WORKSPACE_KEY, DATALINKS_WORKSPACE_SECRET   the server under test
//   DATALINKS_CHROMIUM        the browser executable (default /usr/bin/chromium)
//   DATALINKS_SCREENSHOT_DIR  where each page's screenshot is saved (default ./screenshots)
// Every change made in the browser is checked through the API, and every API state the
// browser shows is set up through the API.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run through tests/test_console.py (./dev test)`);
  return value;
}

const apiUri = required('DATALINKS_URL').replace(/\/$/, '');
const workspaceKey = required('DATALINKS_WORKSPACE_KEY');
const workspaceSecret = required('DATALINKS_WORKSPACE_SECRET');
const executablePath = process.env.DATALINKS_CHROMIUM || '/usr/bin/chromium';
const screenshotDir = resolve(process.env.DATALINKS_SCREENSHOT_DIR || 'screenshots');
// The workspace is shared with other test files: everything made here carries this tag.
const tag = randomBytes(4).toString('hex');
const tableKey = `contacts-${tag}`;
const tableName = `Contacts ${tag}`;
const integrationKey = `crm-${tag}`;
const customerId = `alice-${tag}`;
const dataSourceKey = `tasks-${tag}`;

function mintToken(claims, { secret = workspaceSecret, ttlSeconds = 3600 } = {}) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iss: workspaceKey, iat: now, exp: now + ttlSeconds, ...claims })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

const adminToken = mintToken({ isAdmin: true });
const customerToken = mintToken({ id: customerId });

async function api(method, path, { query = {}, body, token = adminToken } = {}) {
  const url = new URL(`${apiUri}${path}`);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

let context;
let page;
let profileDir;
const pageErrors = [];
// State set up through the API as the tests go.
const world = {};

async function shot(name) {
  // Whatever the page still reads (the instance, link counts, customer names) is shown first.
  await page.waitForFunction(() => !document.querySelector('.loading, [aria-busy="true"]'));
  // A focus ring left on the last field typed into is not part of the page.
  await page.evaluate(() => document.activeElement?.blur());
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

function table() {
  return page.locator('table').first();
}

function bodyRows() {
  return page.locator('table tbody tr');
}

// Waits until the page shows exactly `count` rows, each containing `text`: a page changes
// after the click that asks for it, so counting at once would read the old one.
async function expectRows(count, text = '') {
  await page.waitForFunction(([count, text]) => {
    const rows = [...document.querySelectorAll('table tbody tr')];
    return rows.length === count && rows.every((row) => row.innerText.includes(text));
  }, [count, text]);
}

before(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  profileDir = mkdtempSync(join(tmpdir(), 'datalinks-console-chromium-'));
  // A fresh profile and every background feature off: the browser talks to the server only.
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The browser logs every 4xx the API answers; those the tests cause on purpose. Anything
    // else (a script error, a refused Content-Security-Policy load) is a failure.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
      pageErrors.push(`console error: ${message.text()}`);
    }
  });
  page.on('dialog', (dialog) => dialog.accept());

  // A customer, an integration and the customer's connection to it, as an app would make them.
  await api('POST', '/integrations', { body: { key: integrationKey, name: `CRM ${tag}` } });
  world.connection = await api('POST', '/connections', { body: { integrationKey }, token: customerToken });
});

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

test('the sign-in page explains a refused token in words', async () => {
  await page.goto(`${apiUri}/console`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await page.getByLabel('Access token (JWT)', { exact: true }).fill(mintToken({ isAdmin: true }, { secret: 'not-the-secret' }));
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Invalid or expired access token \(not_authenticated, HTTP 401\)/);
  await page.getByLabel('Access token (JWT)', { exact: true }).fill('');
  await shot('signin');
});

test('sign in with a pasted admin token; the token stays in session storage', async () => {
  await page.getByLabel('Access token (JWT)', { exact: true }).fill(adminToken);
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
  await page.getByRole('heading', { level: 1, name: 'Data-link tables' }).waitFor();
  assert.match(await page.locator('#who').innerText(), new RegExp(`workspace ${workspaceKey} as admin`));
  assert.equal(await page.evaluate(() => sessionStorage.getItem('datalinks.console.token')), adminToken);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
});

test('create a data-link table, and see a taken key refused', async () => {
  await page.getByLabel('Name', { exact: true }).fill(tableName);
  await page.getByLabel('Key (optional)', { exact: true }).fill(tableKey);
  await page.getByRole('button', { name: 'Create table' }).click();
  await page.getByRole('status').filter({ hasText: `created with key ${tableKey}` }).waitFor();
  world.table = await api('GET', `/data-link-tables/${tableKey}`);
  assert.equal(world.table.name, tableName);

  await page.getByLabel('Name', { exact: true }).fill('Another');
  await page.getByLabel('Key (optional)', { exact: true }).fill(tableKey);
  await page.getByRole('button', { name: 'Create table' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /\(already_exists, HTTP 409\)/);

  await page.getByLabel('Search by name or key', { exact: true }).fill(tag);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expectRows(1, tableKey);
  await page.getByLabel('Name', { exact: true }).fill('');
  await page.getByLabel('Key (optional)', { exact: true }).fill('');
  await shot('tables');
});

test('archive and restore a table', async () => {
  const row = bodyRows().filter({ hasText: tableKey });
  await row.getByRole('button', { name: `Archive table ${tableName}` }).click();
  await page.getByRole('status').filter({ hasText: 'archived' }).waitFor();
  // Archived tables are found by id, no longer by key.
  assert.ok((await api('GET', `/data-link-tables/${world.table.id}`)).archivedAt);
  await page.getByLabel('Show archived tables', { exact: true }).check();
  await page.getByRole('button', { name: 'Apply' }).click();
  await bodyRows().filter({ hasText: 'Archived' }).getByRole('button', { name: `Restore table ${tableName}` }).click();
  await page.getByRole('status').filter({ hasText: 'restored' }).waitFor();
  assert.equal((await api('GET', `/data-link-tables/${tableKey}`)).archivedAt, undefined);
});

test('instances of the table, filtered, with their link counts', async () => {
  const selector = { dataLinkTableKey: tableKey, connectionId: world.connection.id };
  world.instance = await api('POST', '/data-link-table-instance', { query: selector });
  world.keyed = await api('POST', '/data-link-table-instance', { query: { ...selector, instanceKey: 'archive' } });
  await api('POST', '/data-link-table-instance/links', {
    query: { id: world.keyed.id }, body: { externalRecordId: 'old-1', appRecordId: 'app-1', direction: 'import' },
  });

  await page.getByRole('link', { name: 'Tables', exact: true }).click();
  await page.getByLabel('Search by name or key', { exact: true }).fill(tag);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('link', { name: tableName }).click();
  await page.getByRole('heading', { level: 1, name: 'Data-link table instances' }).waitFor();
  assert.equal(await page.getByLabel('Table key', { exact: true }).inputValue(), tableKey);
  await expectRows(2, tableKey);
  const defaultRow = bodyRows().filter({ hasText: 'default' });
  const keyedRow = bodyRows().filter({ hasText: 'archive' });
  await defaultRow.locator('.link-count').getByText('0', { exact: true }).waitFor();
  await keyedRow.locator('.link-count').getByText('1', { exact: true }).waitFor();
  // Customers and integrations are shown by the internal id and key people know them by.
  await defaultRow.locator('.named').getByText(customerId, { exact: true }).waitFor();
  await defaultRow.locator('.named').getByText(integrationKey, { exact: true }).waitFor();

  // Filters: customer (by internal id), integration key, connection id, instance key.
  await page.getByLabel('Customer', { exact: true }).fill(customerId);
  await page.getByLabel('Integration key', { exact: true }).fill(integrationKey);
  await page.getByLabel('Connection id', { exact: true }).fill(world.connection.id);
  await page.getByLabel('Instance key', { exact: true }).fill('archive');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('caption').filter({ hasText: 'instance key is archive' }).waitFor();
  await expectRows(1, 'archive');
  await page.getByLabel('Customer', { exact: true }).fill('nobody-at-all');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText('No instance matches these filters.').waitFor();

  await page.goto(`${apiUri}/console#/instances?tableKey=${tableKey}`);
  await bodyRows().filter({ hasText: 'default' }).locator('.link-count').getByText('0', { exact: true }).waitFor();
  await shot('instances');
});

test('open an instance: the empty state says what to do', async () => {
  await bodyRows().filter({ hasText: 'default' }).getByRole('link', { name: `${tableName} links, instance default` }).click();
  await page.getByRole('heading', { level: 1, name: `Links: ${tableName}` }).waitFor();
  const empty = page.locator('.empty');
  await empty.waitFor();
  assert.match(await empty.innerText(), /This instance has no links yet\.\s+Add one with the form above/);
  await shot('links-empty');
});

test('add a link in both directions; the API has both', async () => {
  await page.getByLabel('External record id', { exact: true }).first().fill('hs-42');
  await page.getByLabel('App record id', { exact: true }).first().fill('user-7');
  assert.equal(await page.getByLabel('Direction', { exact: true }).first().inputValue(), 'both');
  await page.getByRole('button', { name: 'Add link' }).click();
  await page.getByRole('status').filter({ hasText: 'Link added' }).waitFor();
  await bodyRows().nth(1).waitFor();
  const directions = await bodyRows().locator('.tag').allInnerTexts();
  assert.deepEqual(directions.sort(), ['export', 'import']);
  const stored = await api('GET', '/data-link-table-instance/links', { query: { id: world.instance.id } });
  assert.deepEqual(
    stored.items.map((link) => [link.externalRecordId, link.appRecordId, link.direction]).sort(),
    [['hs-42', 'user-7', 'export'], ['hs-42', 'user-7', 'import']],
  );
});

test('add a link with the keyboard alone', async () => {
  await page.getByLabel('External record id', { exact: true }).first().focus();
  await page.keyboard.type('hs-43');
  await page.keyboard.press('Tab');
  await page.keyboard.type('user-8');
  await page.keyboard.press('Tab');
  await page.keyboard.press('ArrowDown'); // both -> import
  await page.keyboard.press('ArrowDown'); // import -> export
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Add link');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'hs-43 ↔ user-8 (export)' }).waitFor();
  const stored = await api('GET', '/data-link-table-instance/links', { query: { id: world.instance.id, externalRecordId: 'hs-43' } });
  assert.deepEqual(stored.items.map((link) => link.direction), ['export']);
  await bodyRows().nth(2).waitFor();
  await shot('links');
});

test('find links by either record id', async () => {
  const search = page.getByRole('search', { name: 'Find links' });
  await search.getByLabel('External record id', { exact: true }).fill('hs-42');
  await search.getByRole('button', { name: 'Find links' }).click();
  await page.locator('caption').filter({ hasText: 'matching the search' }).waitFor();
  await expectRows(2, 'hs-42');
  assert.deepEqual((await bodyRows().locator('.tag').allInnerTexts()).sort(), ['export', 'import']);

  await search.getByLabel('External record id', { exact: true }).fill('');
  await search.getByLabel('App record id', { exact: true }).fill('user-8');
  await search.getByRole('button', { name: 'Find links' }).click();
  await expectRows(1, 'hs-43');

  await search.getByLabel('App record id', { exact: true }).fill('user-7');
  await search.getByLabel('Direction', { exact: true }).selectOption('import');
  await search.getByRole('button', { name: 'Find links' }).click();
  await expectRows(1, 'user-7');
  await shot('links-search');

  await search.getByLabel('App record id', { exact: true }).fill('USER-7');
  await search.getByRole('button', { name: 'Find links' }).click();
  await page.getByText('No link matches this search.').waitFor();
});

test('delete a link; the API no longer has it', async () => {
  const search = page.getByRole('search', { name: 'Find links' });
  await search.getByLabel('App record id', { exact: true }).fill('user-7');
  await search.getByRole('button', { name: 'Find links' }).click();
  await expectRows(1, 'user-7');
  await page.getByRole('button', { name: 'Delete import link hs-42 ↔ user-7' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted the import link' }).waitFor();
  await page.getByText('No link matches this search.').waitFor();
  const stored = await api('GET', '/data-link-table-instance/links', { query: { id: world.instance.id } });
  assert.deepEqual(
    stored.items.map((link) => [link.externalRecordId, link.appRecordId, link.direction]).sort(),
    [['hs-42', 'user-7', 'export'], ['hs-43', 'user-8', 'export']],
  );
});

test('long lists are read a page at a time, following the cursor', async () => {
  for (let index = 0; index < 55; index += 1) {
    await api('POST', '/data-link-table-instance/links', {
      query: { id: world.instance.id },
      body: { externalRecordId: `bulk-${String(index).padStart(2, '0')}`, appRecordId: `app-${index}`, direction: 'import' },
    });
  }
  const pages = [];
  page.on('request', (request) => {
    if (request.url().includes('/data-link-table-instance/links')) pages.push(new URL(request.url()).searchParams);
  });
  await page.goto(`${apiUri}/console#/instances/${world.instance.id}`);
  await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 50);
  const next = page.getByRole('button', { name: 'Next page' });
  const previous = page.getByRole('button', { name: 'Previous page' });
  assert.ok(await previous.isDisabled());
  await next.click();
  await page.getByText('Page 2').waitFor();
  assert.equal(await bodyRows().count(), 7);
  assert.ok(await next.isDisabled());
  assert.ok(pages.at(-1).get('cursor'), 'the second page was asked for with the first answer’s cursor');
  assert.equal(pages.at(-1).get('limit'), '50');
  await previous.click();
  await page.getByText('Page 1').waitFor();
  assert.equal(await bodyRows().count(), 50);

  await page.goto(`${apiUri}/console#/instances?tableKey=${tableKey}`);
  await bodyRows().filter({ hasText: 'default' }).locator('.link-count').getByText('57', { exact: true }).waitFor();
});

test('data-source instances of a connection, with reset', async () => {
  await api('POST', '/data-sources', {
    body: { key: dataSourceKey, name: `Tasks ${tag}`, integrationKey, collectionKey: 'tasks', collectionParameters: { projectId: '123' } },
  });
  const connectionPath = `/connections/${world.connection.id}/data-sources/${dataSourceKey}`;
  await api('PUT', connectionPath);
  const customized = await api('PATCH', connectionPath, { body: { pullUpdatesIntervalSeconds: 600 } });
  assert.equal(customized.isCustomized, true);

  await page.getByRole('link', { name: 'Connections', exact: true }).click();
  await page.getByLabel('Integration key', { exact: true }).fill(integrationKey);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expectRows(1, world.connection.id);
  await shot('connections');
  await bodyRows().first().getByRole('link', { name: 'Data sources' }).click();
  await page.getByRole('heading', { level: 1, name: /^Data sources: / }).waitFor();
  const row = bodyRows().filter({ hasText: dataSourceKey });
  await row.waitFor();
  const text = await row.innerText();
  assert.match(text, /\/data\/tasks\?projectId=123/);
  assert.match(text, /10 min/);
  assert.match(text, /3 h/);
  assert.match(text, /Yes/);
  await shot('data-sources');

  await row.getByRole('button', { name: /^Reset data source/ }).click();
  await page.getByRole('status').filter({ hasText: 'reset to its data source' }).waitFor();
  await page.waitForFunction(() => document.querySelector('table tbody tr')?.innerText.includes('5 min'));
  const reset = await api('GET', connectionPath);
  assert.equal(reset.isCustomized, false);
  assert.equal(reset.pullUpdatesIntervalSeconds, 300);
});

test('a narrow window shows rows as cards, with no sideways scrolling', async () => {
  await page.setViewportSize({ width: 380, height: 800 });
  await page.goto(`${apiUri}/console#/instances/${world.instance.id}?appRecordId=user-7`);
  await bodyRows().first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
  const header = page.locator('table thead');
  const box = await header.boundingBox();
  assert.ok(!box || box.height <= 1, 'column headers become per-cell labels');
  await shot('links-narrow');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('sign out, then sign in with the workspace key and secret (token signed in the browser)', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Signed out. The token was removed from this tab.').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('datalinks.console.token')), null);
  await page.getByLabel('Workspace key', { exact: true }).fill(workspaceKey);
  await page.getByLabel('Workspace secret', { exact: true }).fill(workspaceSecret);
  await page.getByRole('button', { name: 'Sign in with key and secret' }).click();
  await page.getByRole('heading', { level: 1, name: 'Data-link tables' }).waitFor();
  const token = await page.evaluate(() => sessionStorage.getItem('datalinks.console.token'));
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  assert.equal(claims.iss, workspaceKey);
  assert.equal(claims.isAdmin, true);
  assert.ok(claims.exp > Date.now() / 1000);
  // The server accepts what the browser signed.
  const answer = await api('GET', '/data-link-tables', { query: { search: tag }, token });
  assert.deepEqual(answer.items.map((item) => item.key), [tableKey]);
});

test('an expired token sends the page back to sign-in, and signing in returns to the page', async () => {
  await page.goto(`${apiUri}/console#/instances/${world.instance.id}`);
  await page.getByRole('heading', { level: 1, name: `Links: ${tableName}` }).waitFor();
  const stale = mintToken({ isAdmin: true }, { ttlSeconds: -10 });
  await page.evaluate((value) => sessionStorage.setItem('datalinks.console.token', value), stale);
  await page.reload();
  await page.getByText('Your token has expired; sign in again.').waitFor();
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('datalinks.console.token')), null);
  // The address still names the instance; signing in shows it.
  await page.getByLabel('Access token (JWT)', { exact: true }).fill(adminToken);
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
  await page.getByRole('heading', { level: 1, name: `Links: ${tableName}` }).waitFor();
});

test('no script errors or refused loads in the browser', () => {
  assert.deepEqual(pageErrors, []);
});
